"""Changes agents make to a ticket's time keeping (not to the ticket itself)."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from laufzettel.sla.clocks import ClockBook
from laufzettel.sla.models import LedgerAction, TicketSla
from laufzettel.tickets.models import Ticket


def set_status_updates_paused(ticket: Ticket | int, *, paused: bool, by: User) -> TicketSla:
    """Stop or restart the periodic status mails of one ticket; recorded in the SLA ledger."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    with transaction.atomic():
        # The ticket's row lock orders this against life-cycle changes and the timer worker.
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("team").get(pk=pk)
        book = ClockBook.load(locked, timezone.now())
        sla = book.sla
        if sla.status_updates_paused == paused:
            return sla
        sla.status_updates_paused = paused
        if not paused:
            # Counting restarts now: a resumed ticket does not get an overdue update at once.
            sla.status_anchor = book.now
        book.note(
            LedgerAction.STATUS_UPDATES_PAUSED if paused else LedgerAction.STATUS_UPDATES_RESUMED,
            f"by {by.get_username()}",
        )
        book.replan()
    return sla
