"""Who else has a ticket open: each open ticket page reports a sign of life every few seconds."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from laufzettel.desk.models import TicketPresence
from laufzettel.tickets.models import Ticket


def others_present(ticket: Ticket, agent: User) -> list[str]:
    """Names of the other agents whose page of this ticket gave a sign of life just now."""
    since = timezone.now() - timedelta(seconds=settings.LAUFZETTEL_PRESENCE_SECONDS)
    rows = (
        TicketPresence.objects.filter(ticket_id=ticket.pk, seen_at__gte=since)
        .exclude(user_id=agent.pk)
        .select_related("user")
        .order_by("user__username")
    )
    return [row.user.get_full_name() or row.user.get_username() for row in rows]


def report_presence(ticket: Ticket, agent: User) -> None:
    TicketPresence.objects.update_or_create(
        ticket_id=ticket.pk, user=agent, defaults={"seen_at": timezone.now()}
    )
