"""The agent's work queues: which tickets each holds, filtered, sorted, paged, counted.

Each queue is a ``TicketQuerySet`` built from the agent; the start page shows the first rows of
every queue with its total in one query per queue (a window count), the queue page a full page.
The number of queries never depends on the number of tickets.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Value, When, Window
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from laufzettel.accounts.models import Level, Team
from laufzettel.sla.queries import sla_at_risk
from laufzettel.tickets.models import (
    OPEN_STATES,
    Event,
    EventKind,
    Priority,
    State,
    Ticket,
    TicketQuerySet,
    Topic,
)

# The start page shows what needs doing next; the queue page pages through the rest. Both are
# small on purpose: a page of rows costs far more to render than to query (see
# docs/benchmarks.md), and an agent works from the top of a queue.
HOME_ROWS = 10
PAGE_SIZE = 25
# "Recently updated by the customer": a customer message within this time.
CUSTOMER_RECENT = timedelta(days=7)
LIST_RELATED = ("organization", "topic", "team", "owner")
# Only the columns a list shows: the documentation fields are long texts, and a row of every
# column of five tables is ~4 kB the database would carry through the sort for nothing.
LIST_FIELDS = (
    "id", "subject", "priority", "state", "version", "created_at", "updated_at",
    "organization__name", "topic__name", "team__name", "team__level",
    "owner__username", "owner__first_name", "owner__last_name",
)  # fmt: skip


def _my_team_ids(agent: User) -> Any:
    # A subquery of team ids, not a join through the membership table: the planner then
    # reads the (team, state, updated_at) index per team instead of joining every open ticket.
    return Team.objects.filter(members=agent).values("pk")


def _my_teams(agent: User) -> TicketQuerySet:
    return Ticket.objects.filter(team_id__in=_my_team_ids(agent))


def _teams(agent: User) -> TicketQuerySet:
    return _my_teams(agent).open()


def _mine(agent: User) -> TicketQuerySet:
    return Ticket.objects.filter(owner=agent).open()


def _unassigned(agent: User) -> TicketQuerySet:
    # A subquery, not a list of levels: the queue stays one query.
    my_levels = Team.objects.filter(members=agent).values("level")
    return Ticket.objects.filter(owner__isnull=True, team__level__in=my_levels).open()


def _waiting_customer(agent: User) -> TicketQuerySet:
    return Ticket.objects.filter(Q(team_id__in=_my_team_ids(agent)) | Q(owner=agent)).filter(
        state=State.WAITING_FOR_CUSTOMER
    )


def _waiting_vendor(agent: User) -> TicketQuerySet:
    return Ticket.objects.filter(Q(team_id__in=_my_team_ids(agent)) | Q(owner=agent)).filter(
        state=State.WAITING_FOR_VENDOR
    )


def _sla(agent: User) -> TicketQuerySet:
    return sla_at_risk(_teams(agent))


def _customer_updated(agent: User) -> TicketQuerySet:
    since = timezone.now() - CUSTOMER_RECENT
    customer_wrote = Event.objects.filter(
        ticket=OuterRef("pk"),
        kind__in=(EventKind.CUSTOMER_REPLIED, EventKind.REOPENED),
        actor_contact__isnull=False,
        created_at__gte=since,
    )
    return _teams(agent).filter(updated_at__gte=since).filter(Exists(customer_wrote))


@dataclass(frozen=True)
class QueueKind:
    key: str
    title: str | Promise
    empty: str | Promise
    tickets: Callable[[User], TicketQuerySet]


QUEUES = [
    QueueKind("mine", _("My tickets"), _("No open ticket is assigned to you."), _mine),
    QueueKind(
        "teams",
        _("Open tickets of my teams"),
        _("Your teams have no open tickets."),
        _teams,
    ),
    QueueKind(
        "unassigned",
        _("Unassigned at my level"),
        _("Every open ticket at your level has an owner."),
        _unassigned,
    ),
    QueueKind(
        "customer_updated",
        _("Recently updated by the customer"),
        _("No customer wrote to your teams' tickets in the last seven days."),
        _customer_updated,
    ),
    QueueKind(
        "waiting_customer",
        _("Waiting for customer"),
        _("No ticket of yours waits for a customer."),
        _waiting_customer,
    ),
    QueueKind(
        "waiting_vendor",
        _("Waiting for vendor"),
        _("No ticket of yours waits for a vendor."),
        _waiting_vendor,
    ),
    QueueKind(
        "sla_at_risk",
        _("SLA at risk"),
        _("No ticket of your teams is close to an SLA deadline."),
        _sla,
    ),
]
QUEUE_BY_KEY = {queue.key: queue for queue in QUEUES}

PRIORITY_RANK = Case(
    When(priority=Priority.URGENT, then=Value(0)),
    When(priority=Priority.HIGH, then=Value(1)),
    When(priority=Priority.NORMAL, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
SORTS: dict[str, tuple[str | Promise, tuple[Any, ...]]] = {
    "-updated": (_("last updated first"), ("-updated_at", "-pk")),
    "updated": (_("longest untouched first"), ("updated_at", "pk")),
    "-created": (_("newest first"), ("-created_at", "-pk")),
    "created": (_("oldest first"), ("created_at", "pk")),
    "priority": (_("most urgent first"), (PRIORITY_RANK.asc(), "-updated_at", "-pk")),
}


class QueueFilterForm(forms.Form):
    """The filters and sort order of a queue page: all optional, all in the query string."""

    topic = forms.ModelChoiceField(
        Topic.objects.all(), label=_("Topic"), required=False, empty_label=_("all topics")
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("all priorities")), *Priority.choices]
    )
    organization = forms.CharField(label=_("Organization"), required=False, max_length=200)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("all open states")), *[(s.value, s.label) for s in OPEN_STATES]],
    )
    level = forms.TypedChoiceField(
        label=_("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("all levels")), *Level.choices],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(*args, **kwargs)

    def apply(self, tickets: TicketQuerySet) -> TicketQuerySet:
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("topic"):
            tickets = tickets.filter(topic=data["topic"])
        if data.get("priority"):
            tickets = tickets.filter(priority=data["priority"])
        if data.get("organization"):
            tickets = tickets.filter(organization__name__icontains=data["organization"].strip())
        if data.get("state"):
            tickets = tickets.filter(state=data["state"])
        if data.get("level"):
            tickets = tickets.filter(team__level=data["level"])
        order = SORTS.get(data.get("sort") or "-updated", SORTS["-updated"])[1]
        return tickets.order_by(*order)


@dataclass(frozen=True)
class Queue:
    key: str
    title: str | Promise
    empty: str | Promise
    tickets: list[Ticket]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.tickets)


def first_rows(kind: QueueKind, agent: User, rows: int = HOME_ROWS) -> Queue:
    """The first rows of a queue and its total, in one query: the total rides on every row."""
    tickets = list(
        kind.tickets(agent)
        .select_related(*LIST_RELATED)
        .only(*LIST_FIELDS)
        .annotate(queue_total=Window(Count("pk")))
        .order_by("-updated_at", "-pk")[:rows]
    )
    total = tickets[0].queue_total if tickets else 0  # type: ignore[attr-defined]
    return Queue(kind.key, kind.title, kind.empty, tickets, total)


def queues_for(agent: User) -> list[Queue]:
    return [first_rows(kind, agent) for kind in QUEUES]


def queue_tickets(kind: QueueKind, agent: User, filters: QueueFilterForm) -> TicketQuerySet:
    return filters.apply(kind.tickets(agent)).select_related(*LIST_RELATED).only(*LIST_FIELDS)
