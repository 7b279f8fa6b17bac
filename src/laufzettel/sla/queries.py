"""Reads of SLA state for other apps (desk queues and dashboard, portal); no writes here."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from laufzettel.sla.clocks import ClockBook
from laufzettel.sla.models import (
    ClockKind,
    ClockStatus,
    SlaLedgerEntry,
    TicketClock,
    TicketSla,
    Timer,
)
from laufzettel.tickets.models import Ticket, TicketQuerySet

SLA_CLOCKS = (ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION)


def sla_at_risk(tickets: TicketQuerySet) -> TicketQuerySet:
    """Tickets with a running SLA clock that has been warned about or breached."""
    risky = TicketClock.objects.filter(
        ticket=OuterRef("pk"),
        kind__in=SLA_CLOCKS,
        status=ClockStatus.RUNNING,
    ).filter(Q(warned_at__isnull=False) | Q(breached_at__isnull=False))
    return tickets.filter(Exists(risky))


def breached(tickets: TicketQuerySet) -> TicketQuerySet:
    """Tickets with a breach recorded on any SLA clock (for lists and reports)."""
    return tickets.filter(
        Exists(
            TicketClock.objects.filter(
                ticket=OuterRef("pk"), kind__in=SLA_CLOCKS, breached_at__isnull=False
            )
        )
    )


def next_customer_update(ticket: Ticket) -> datetime | None:
    """When the customer's next automatic status mail is due, if one is planned."""
    return (
        Timer.objects.filter(ticket=ticket, kind="status_update", fired_at__isnull=True)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def sla_compliance(days: int = 30, now: datetime | None = None) -> float | None:
    """Share of SLA clocks stopped in the last ``days`` days without a breach (None: none)."""
    since = (now or timezone.now()) - timedelta(days=days)
    stopped = TicketClock.objects.filter(
        kind__in=SLA_CLOCKS, status=ClockStatus.STOPPED, stopped_at__gte=since
    )
    total = stopped.count()
    if not total:
        return None
    return stopped.filter(breached_at__isnull=True).count() / total


@dataclass(frozen=True)
class ClockView:
    kind: str
    label: str
    status: str
    deadline: datetime | None
    remaining: timedelta
    warned: bool
    breached: bool


def ticket_clocks(ticket: Ticket) -> list[ClockView]:
    """The ticket's clocks with their remaining business time, for the ticket page."""
    sla = TicketSla.objects.select_related("policy__calendar").filter(ticket=ticket).first()
    if sla is None:
        return []
    clocks = {c.kind: c for c in TicketClock.objects.filter(ticket=ticket)}
    book = ClockBook(ticket=ticket, sla=sla, now=timezone.now(), clocks=clocks)
    return [
        ClockView(
            kind=clock.kind,
            label=str(clock.get_kind_display()),
            status=clock.status,
            deadline=clock.deadline,
            remaining=book.remaining(clock),
            warned=clock.warned_at is not None,
            breached=clock.breached_at is not None,
        )
        for clock in sorted(book.clocks.values(), key=lambda c: c.kind)
    ]


def ticket_ledger(ticket: Ticket) -> list[SlaLedgerEntry]:
    """Why each deadline is what it is: the ledger, oldest first."""
    return list(SlaLedgerEntry.objects.filter(ticket=ticket).order_by("at", "pk"))
