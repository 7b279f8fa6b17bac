"""Where a ticket is, in the customer's words: "bei der Fachabteilung Telefonie"."""

from datetime import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from laufzettel.accounts.models import Level, Team
from laufzettel.sla.queries import next_customer_update
from laufzettel.tickets.models import State, Ticket


def team_in_words(team: Team) -> str:
    """The team's public name, or a plain description of its level when it has none."""
    if team.public_name:
        return team.public_name
    if team.level == Level.FIRST:
        return _("with our customer service")
    if team.level == Level.SECOND:
        return _("with a specialist department")
    if team.is_vendor:
        return _("with the manufacturer's experts")
    return _("with our development team")


def _when(moment: datetime) -> str:
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


def where_is_it(ticket: Ticket) -> str:
    where = team_in_words(ticket.team)
    if ticket.state == State.NEW:
        return _("Your request has arrived and is %(where)s.") % {"where": where}
    if ticket.state == State.OPEN:
        return _("Your ticket is being worked on %(where)s.") % {"where": where}
    if ticket.state == State.WAITING_FOR_CUSTOMER:
        return _("We have asked you a question and are waiting for your answer.")
    if ticket.state == State.WAITING_FOR_VENDOR:
        return _("Your ticket is %(where)s; we are waiting for the manufacturer's answer.") % {
            "where": where
        }
    if ticket.state == State.RESOLVED:
        return _("Your ticket was solved.")
    if ticket.state == State.MERGED:
        return _("Your ticket was merged with another ticket about the same request.")
    return _("Your ticket is closed.")


def next_contact(ticket: Ticket) -> str:
    """When the customer will hear from us next, as far as we can promise it."""
    if ticket.state == State.WAITING_FOR_CUSTOMER:
        return _("As soon as you answer, we continue.")
    if ticket.state == State.RESOLVED and ticket.follow_up_until:
        return _(
            "If the problem is not solved, write to us until %(until)s and the ticket is reopened."
        ) % {"until": _when(ticket.follow_up_until)}
    if not ticket.is_open:
        return ""
    due = next_customer_update(ticket)
    if due is not None:
        return _("You will hear from us by %(when)s at the latest.") % {"when": _when(due)}
    return _("We will keep you informed by email.")
