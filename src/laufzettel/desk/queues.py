"""The agent's work lists on the start page: one query each, however many tickets they hold."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from laufzettel.accounts.models import Team
from laufzettel.tickets.models import Ticket, TicketQuerySet

# A start page lists what needs doing next, not the archive: the full desk gets paged searches.
QUEUE_LIMIT = 100


@dataclass(frozen=True)
class Queue:
    key: str
    title: str | Promise
    empty: str | Promise
    tickets: list[Ticket]


def _listing(tickets: TicketQuerySet) -> list[Ticket]:
    return list(
        tickets.open()
        .select_related("organization", "topic", "team", "owner")
        .order_by("-updated_at")[:QUEUE_LIMIT]
    )


def queues_for(agent: User) -> list[Queue]:
    my_levels = Team.objects.filter(members=agent).values("level")
    return [
        Queue(
            "teams",
            _("Open tickets of my teams"),
            _("Your teams have no open tickets."),
            _listing(Ticket.objects.filter(team__members=agent)),
        ),
        Queue(
            "mine",
            _("My tickets"),
            _("No open ticket is assigned to you."),
            _listing(Ticket.objects.filter(owner=agent)),
        ),
        Queue(
            "unassigned",
            _("Unassigned at my level"),
            _("Every open ticket at your level has an owner."),
            # A subquery, not a list of levels: the list stays one query.
            _listing(Ticket.objects.filter(owner__isnull=True, team__level__in=my_levels)),
        ),
    ]
