"""What a fired timer tells people and does: mails to the team and the customer, and the two
automatic changes (escalation on breach, resolution of an unanswered question) through the life
cycle, recorded under the system user.
"""

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext as _

from laufzettel.accounts.models import Team
from laufzettel.outbox.models import MailKind
from laufzettel.outbox.notify import build_ticket_mail, queue_ticket_mails
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Article, State, Ticket, Visibility

if TYPE_CHECKING:
    from laufzettel.sla.clocks import ClockBook, Effects, PendingMail
    from laufzettel.sla.models import SlaPolicy, TicketClock, TicketSla


def system_user() -> User:
    """The user automatic changes are recorded under (``LAUFZETTEL_SLA_SYSTEM_USER``).

    It cannot log in: it exists so resolve/escalate have a ``by`` and the log says "the system".
    """
    user, created = User.objects.get_or_create(
        username=settings.LAUFZETTEL_SLA_SYSTEM_USER,
        defaults={"first_name": "Laufzettel", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def team_addresses(team: Team) -> list[str]:
    """The team lead first, then the members with an address; no duplicates.

    Remembered on the team instance: a sweep shares one instance per team across its batch.
    """
    cached: list[str] | None = getattr(team, "_sla_addresses", None)
    if cached is not None:
        return cached
    addresses: list[str] = []
    if team.lead_id:
        lead_email = User.objects.filter(pk=team.lead_id).values_list("email", flat=True).first()
        if lead_email:
            addresses.append(lead_email)
    for email in team.members.exclude(email="").values_list("email", flat=True):
        if email not in addresses:
            addresses.append(email)
    team._sla_addresses = addresses  # type: ignore[attr-defined]
    return addresses


def queue_mails(pending: "list[PendingMail]") -> None:
    """Write many automatic mails at once (two INSERTs), as ``outbox.notify`` builds them."""
    if pending:
        queue_ticket_mails(
            [
                build_ticket_mail(
                    p.ticket,
                    MailKind(p.kind),
                    to=p.to,
                    language=p.language,
                    context=p.context,
                    visibility=Visibility.INTERNAL if p.internal else Visibility.PUBLIC,
                )
                for p in pending
            ]
        )


def _send(mail: "PendingMail", effects: "Effects | None") -> None:
    if effects is None:
        queue_mails([mail])
    else:
        effects.mails.append(mail)


def mail_team(
    ticket: Ticket,
    clock: "TicketClock",
    *,
    breached: bool,
    remaining: timedelta,
    effects: "Effects | None" = None,
) -> None:
    """Warn the owning team (and its lead) by an internal mail on the ticket."""
    from laufzettel.sla.clocks import PendingMail

    to = team_addresses(ticket.team)
    if not to:
        return
    context = {
        "clock": clock,
        # Called while rendering, in the mail's language.
        "clock_name": clock.get_kind_display,
        "deadline": clock.deadline,
        "remaining_minutes": max(0, int(remaining.total_seconds() // 60)),
    }
    kind = MailKind.SLA_BREACH if breached else MailKind.SLA_WARNING
    _send(PendingMail(ticket, kind, to, settings.LANGUAGE_CODE, context, internal=True), effects)


def latest_public_note(ticket: Ticket) -> Article | None:
    """The last public article an agent wrote (automatic mails have no author)."""
    return (
        Article.objects.filter(
            ticket=ticket, visibility=Visibility.PUBLIC, author_user__isnull=False
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def latest_public_notes(ticket_ids: list[int]) -> dict[int, Article]:
    """``latest_public_note`` for many tickets in one query (a sweep's batch)."""
    latest: dict[int, Article] = {}
    for article in (
        Article.objects.filter(
            ticket_id__in=ticket_ids, visibility=Visibility.PUBLIC, author_user__isnull=False
        )
        .only("ticket_id", "body_text", "created_at")
        .order_by("created_at", "pk")
    ):
        latest[article.ticket_id] = article
    return latest


def send_status_update(ticket: Ticket, effects: "Effects | None" = None) -> None:
    from laufzettel.sla.clocks import PendingMail

    address = ticket.contact.primary_email
    if not address:
        return
    # A sweep fetches the notes of its whole batch at once (``latest_public_notes``).
    notes: dict[int, Article] | None = getattr(effects, "latest_notes", None)
    note = notes.get(ticket.pk) if notes is not None else latest_public_note(ticket)
    context = {
        "where": ticket.team.public_name,
        "level": ticket.team.level,
        "waiting_for_vendor": ticket.state == State.WAITING_FOR_VENDOR,
        "latest_note": note.body_text.strip() if note else "",
        "latest_note_at": note.created_at if note else None,
    }
    language = ticket.contact.language
    _send(PendingMail(ticket, MailKind.STATUS_UPDATE, [address], language, context), effects)


def send_reminder(ticket: Ticket, sla: "TicketSla", effects: "Effects | None" = None) -> None:
    from laufzettel.sla.clocks import PendingMail

    address = ticket.contact.primary_email
    if not address:
        return
    question = Article.objects.filter(ticket=ticket, events__kind="asked").order_by("-pk").first()
    context = {
        "asked_at": sla.asked_at,
        "question": question.body_text.strip() if question else "",
        "auto_resolve": settings.LAUFZETTEL_SLA_AUTO_RESOLVE,
        "days": settings.LAUFZETTEL_SLA_AUTO_RESOLVE_DAYS,
    }
    kind = MailKind.CLARIFICATION_REMINDER
    _send(PendingMail(ticket, kind, [address], ticket.contact.language, context), effects)


def auto_resolve(ticket: Ticket) -> None:
    """Resolve a ticket whose question stayed unanswered; the customer gets the usual mail."""
    with translation.override(ticket.contact.language):
        text = _(
            "We did not receive an answer to our question, so we have closed this request. "
            "If you still need help, simply reply to this email."
        )
    lifecycle.resolve(ticket, by=system_user(), resolution=text)
    ticket.refresh_from_db()


def escalation_target(ticket: Ticket, policy: "SlaPolicy") -> Team | None:
    target = policy.escalate_to
    if target is None and ticket.team.level == 1 and ticket.topic_id:
        target = ticket.topic.department if ticket.topic else None
    if target is None or target.level <= ticket.team.level:
        return None
    return target


def auto_escalate(ticket: Ticket, policy: "SlaPolicy", book: "ClockBook") -> None:
    """Escalate a breached ticket to the next level with the routing slip as handover."""
    from laufzettel.sla.models import LedgerAction

    target = escalation_target(ticket, policy)
    if target is None:
        book.note(LedgerAction.ESCALATED, "no higher team to escalate to")
        book.save()
        return
    missing = _("(not documented yet)")
    lifecycle.escalate(
        ticket,
        by=system_user(),
        to_team=target,
        handover=lifecycle.Handover(
            initial_situation=ticket.initial_situation or ticket.subject,
            affected_persons_text=ticket.affected_persons_text or ticket.contact.name,
            solution_attempts=ticket.solution_attempts or missing,
            measures_taken=ticket.measures_taken or missing,
            note=_("Escalated automatically: the SLA time was exceeded."),
        ),
    )
    book.note(LedgerAction.ESCALATED, f"to {target.name}")
    book.save()
    ticket.refresh_from_db()
