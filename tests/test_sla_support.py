"""Fixtures and helpers shared by the ``test_sla_*`` files (this module holds no tests).

All SLA tests run in June 2026 in Bavaria unless they say otherwise: Monday 1 June is a working
day, Thursday 4 June is Fronleichnam (a Bavarian holiday), 13/14 June is a weekend.
"""

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from laufzettel.outbox.models import OutboundEmail
from laufzettel.sla.models import Calendar, SlaLedgerEntry, SlaPolicy, TicketClock, Timer
from laufzettel.sla.timers import fire_due_timers
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel, Ticket
from tests.conftest import Org

BERLIN = ZoneInfo("Europe/Berlin")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


class Clock:
    """Moves time for the code under test (``timezone.now``, auto_now fields); never ticks."""

    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    def at(self, moment: datetime) -> None:
        self._traveller.move_to(moment)


@pytest.fixture
def clock() -> Iterator[Clock]:
    travel = time_machine.travel(local(2026, 6, 1, 8, 0), tick=False)
    traveller = travel.start()
    try:
        yield Clock(traveller)
    finally:
        travel.stop()


@pytest.fixture
def bavaria(db: None) -> Calendar:
    return Calendar.objects.create(name="Bayern Bürozeiten", holiday_state="BY")


@pytest.fixture
def policy(org: Org, bavaria: Calendar) -> SlaPolicy:
    """Standard: first response 1 h, status update every 4 h, resolution 8 h (business time)."""
    for user, address in (
        (org.first_level_agent, "anna@support.example"),
        (org.second_level_agent, "bernd@support.example"),
    ):
        user.email = address
        user.save(update_fields=["email"])
    org.rechenzentrum.lead = org.second_level_agent
    org.rechenzentrum.save(update_fields=["lead"])
    return SlaPolicy.objects.create(
        name="Standard",
        calendar=bavaria,
        first_response_minutes=60,
        update_interval_minutes=240,
        resolution_minutes=480,
    )


def open_ticket(org: Org, **kwargs: object) -> Ticket:
    return lifecycle.create_ticket(
        contact=org.customer_a,
        subject="Server RZ-7 antwortet nicht",
        body="Seit heute früh ist der Server nicht erreichbar.",
        channel=Channel.EMAIL,
        **kwargs,  # type: ignore[arg-type]
    )


def clock_of(ticket: Ticket, kind: str) -> TicketClock:
    return TicketClock.objects.get(ticket=ticket, kind=kind)


def mails(ticket: Ticket, *kinds: str) -> list[OutboundEmail]:
    qs = OutboundEmail.objects.filter(ticket=ticket).order_by("pk")
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return list(qs)


def mail_kinds(ticket: Ticket) -> list[str]:
    return [m.kind for m in mails(ticket)]


def pending(ticket: Ticket) -> dict[tuple[str, str], datetime]:
    """The ticket's unfired timers as {(kind, clock): due}."""
    return {
        (t.kind, t.clock): t.due_at.astimezone(BERLIN)
        for t in Timer.objects.filter(ticket=ticket, fired_at__isnull=True)
    }


def ledger(ticket: Ticket) -> list[tuple[str, str]]:
    return [
        (e.clock, e.action)
        for e in SlaLedgerEntry.objects.filter(ticket=ticket).order_by("at", "pk")
    ]


def sweep(clock: Clock, moment: datetime) -> int:
    """Move to ``moment`` and run the worker's timer job once, as the worker would."""
    clock.at(moment)
    return fire_due_timers()
