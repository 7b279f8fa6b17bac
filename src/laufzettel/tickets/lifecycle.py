"""Every change to a ticket goes through this module; only it sets state, team or owner.

Each action locks the ticket row, checks that the change is allowed, saves the changed fields,
writes exactly one audit event and the mails the change implies — all in one transaction. Callers
(desk, API, mail intake, worker) pass ids and plain values and get a clear ``LifecycleError``
when the change is not possible.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laufzettel.accounts.models import Contact, Organization, Team
from laufzettel.outbox.models import MailKind
from laufzettel.outbox.notify import queue_ticket_mail
from laufzettel.tickets.hooks import ticket_changed
from laufzettel.tickets.models import (
    OPEN_STATES,
    Article,
    ArticleKind,
    Channel,
    Event,
    EventKind,
    LinkKind,
    Priority,
    State,
    Ticket,
    TicketLink,
    Topic,
    Visibility,
)


class LifecycleError(Exception):
    """A change that is not possible; ``str(error)`` is a sentence for the person who tried."""


class TransitionNotAllowed(LifecycleError):
    pass


class IncompleteInput(LifecycleError):
    pass


class InvalidTarget(LifecycleError):
    pass


class StaleTicket(LifecycleError):
    pass


@dataclass(frozen=True)
class Handover:
    """What the next level needs to know; all four parts are required to escalate."""

    initial_situation: str
    affected_persons_text: str
    solution_attempts: str
    measures_taken: str
    affected_contact_ids: list[int] = field(default_factory=list)
    note: str = ""


CHANNEL_ARTICLE_KIND = {
    Channel.PHONE: ArticleKind.PHONE,
    Channel.EMAIL: ArticleKind.EMAIL_IN,
    Channel.PORTAL: ArticleKind.PORTAL,
    Channel.API: ArticleKind.API,
}


# --- the machinery every action uses ---------------------------------------------------------


@contextmanager
def _locked(ticket: Ticket | int, expected_version: int | None = None) -> Iterator[Ticket]:
    """Open a transaction holding the ticket's row lock; refuse a change based on an old version."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    with transaction.atomic():
        current = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("team", "contact", "organization")
            .get(pk=pk)
        )
        if expected_version is not None and current.version != expected_version:
            raise StaleTicket(
                _(
                    "Ticket %(number)s was changed by someone else in the meantime. "
                    "Reload it and check before you save again."
                )
                % {"number": current.number}
            )
        yield current


def _require_state(ticket: Ticket, allowed: Iterable[str], action: str) -> None:
    if ticket.state not in allowed:
        raise TransitionNotAllowed(
            _("Ticket %(number)s cannot be %(action)s while it is %(state)s.")
            % {"number": ticket.number, "action": action, "state": ticket.get_state_display()}
        )


def _require_text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise IncompleteInput(_("%(what)s is required.") % {"what": what})
    return value


def _display(value: Any) -> Any:
    """How a changed value is stored in an event: names for objects, plain values otherwise."""
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _save_with_event(
    ticket: Ticket,
    kind: EventKind,
    *,
    fields: Iterable[str],
    before: dict[str, Any] | None = None,
    from_state: str = "",
    by: User | None = None,
    contact: Contact | None = None,
    article: Article | None = None,
    details: dict[str, Any] | None = None,
) -> Event:
    """Save the changed fields, bump the version and write the one audit event of this change."""
    fields = set(fields)
    ticket.version += 1
    ticket.save(update_fields=sorted(fields | {"version", "updated_at"}))
    changes: dict[str, Any] = dict(details or {})
    for name, old in (before or {}).items():
        new = getattr(ticket, name)
        if old != new:
            changes[name] = [_display(old), _display(new)]
    return _write_event(
        ticket,
        kind,
        actor_user=by,
        actor_contact=contact,
        from_state=from_state,
        to_state=ticket.state if from_state else "",
        changes=changes,
        article=article,
    )


def _write_event(ticket: Ticket, kind: EventKind, **fields: Any) -> Event:
    """The one place events are written, so every app hooked on changes sees each of them."""
    event = Event.objects.create(ticket=ticket, kind=kind, **fields)
    ticket_changed(ticket, event)
    return event


def _snapshot(ticket: Ticket, *names: str) -> dict[str, Any]:
    return {name: getattr(ticket, name) for name in names}


def _agent_name(user: User | None) -> str:
    if user is None:
        return _("Your support team")
    return user.get_full_name() or user.get_username()


def _mail_contact(
    ticket: Ticket, kind: MailKind, *, by: User | None, context: dict[str, Any]
) -> Article | None:
    """Queue a mail to the ticket's contact; contacts known only by phone get none."""
    address = ticket.contact.primary_email
    if not address:
        return None
    return queue_ticket_mail(
        ticket,
        kind,
        to=[address],
        language=ticket.contact.language,
        context={"agent_name": _agent_name(by), **context},
        author=by,
    )


def follow_up_window() -> timedelta:
    return timedelta(days=settings.LAUFZETTEL_FOLLOW_UP_DAYS)


# --- intake and qualification ----------------------------------------------------------------


def create_ticket(
    *,
    contact: Contact,
    subject: str,
    body: str,
    channel: Channel,
    by: User | None = None,
    topic: Topic | None = None,
    priority: Priority = Priority.NORMAL,
    team: Team | None = None,
    acknowledge: bool = True,
    body_html: str = "",
) -> Ticket:
    """Open a ticket at the intake team (first level) with the request as its first article.

    ``body_html`` is the sanitised HTML of a mail, shown instead of the text where present.
    """
    subject = _require_text(subject, _("A subject"))
    body = _require_text(body, _("A description"))
    if team is None:
        team = Team.objects.intake()
        if team is None:
            raise InvalidTarget(_("No first-level team is configured to receive new tickets."))
    with transaction.atomic():
        ticket = Ticket.objects.create(
            subject=subject[:250],
            contact=contact,
            organization=contact.organization,
            topic=topic,
            priority=priority,
            channel=channel,
            team=team,
            state=State.NEW,
            initial_situation=body,
        )
        article = Article.objects.create(
            ticket=ticket,
            kind=CHANNEL_ARTICLE_KIND[channel],
            visibility=Visibility.PUBLIC,
            author_user=by if channel == Channel.PHONE else None,
            author_contact=None if channel == Channel.PHONE else contact,
            subject=subject[:250],
            body_text=body,
            body_html=body_html,
        )
        _write_event(
            ticket,
            EventKind.CREATED,
            actor_user=by,
            actor_contact=None if by else contact,
            to_state=State.NEW,
            changes={"channel": channel, "team": ticket.team.name},
            article=article,
        )
        if acknowledge:
            _mail_contact(ticket, MailKind.ACKNOWLEDGEMENT, by=None, context={})
    return ticket


def qualify(
    ticket: Ticket | int,
    *,
    by: User,
    subject: str | None = None,
    topic: Topic | None = None,
    priority: Priority | None = None,
    organization: Organization | None = None,
    affected_contact_ids: list[int] | None = None,
    affected_persons_text: str | None = None,
    initial_situation: str | None = None,
    solution_attempts: str | None = None,
    measures_taken: str | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Set what the ticket is about; a new ticket is open from then on. ``None`` leaves a field."""
    values: dict[str, Any] = {
        "subject": subject,
        "topic": topic,
        "priority": priority,
        "organization": organization,
        "affected_persons_text": affected_persons_text,
        "initial_situation": initial_situation,
        "solution_attempts": solution_attempts,
        "measures_taken": measures_taken,
    }
    values = {name: value for name, value in values.items() if value is not None}
    with _locked(ticket, expected_version) as t:
        _require_state(t, OPEN_STATES, _("qualified"))
        # Only real changes are saved and recorded: an unchanged form adds nothing to the log.
        values = {name: value for name, value in values.items() if getattr(t, name) != value}
        before = _snapshot(t, *values)
        for name, value in values.items():
            setattr(t, name, value)
        fields = set(values)
        details: dict[str, Any] = {}
        if affected_contact_ids is not None:
            current = set(t.affected_contacts.values_list("pk", flat=True))
            if current != set(affected_contact_ids):
                details["affected_contacts"] = _set_affected(t, affected_contact_ids)
        if not fields and not details and t.state != State.NEW:
            return t
        from_state = t.state
        kind = EventKind.UPDATED
        if t.state == State.NEW:
            t.state = State.OPEN
            fields.add("state")
            kind = EventKind.QUALIFIED
        _save_with_event(
            t,
            kind,
            fields=fields,
            before=before,
            from_state=from_state if kind == EventKind.QUALIFIED else "",
            by=by,
            details=details,
        )
    return t


def _set_affected(ticket: Ticket, contact_ids: list[int]) -> list[str]:
    contacts = list(Contact.objects.filter(pk__in=contact_ids))
    if len(contacts) != len(set(contact_ids)):
        raise InvalidTarget(_("One of the affected persons does not exist."))
    ticket.affected_contacts.set(contacts)
    return sorted(c.name for c in contacts)


def assign(
    ticket: Ticket | int, *, by: User, owner: User | None, expected_version: int | None = None
) -> Ticket:
    """Give the ticket to a member of its team (or release it to the team's queue)."""
    with _locked(ticket, expected_version) as t:
        _require_state(t, OPEN_STATES, _("assigned"))
        if owner is not None and not t.team.members.filter(pk=owner.pk).exists():
            raise InvalidTarget(
                _("%(user)s is not a member of team %(team)s.")
                % {"user": owner.get_username(), "team": t.team.name}
            )
        before = _snapshot(t, "owner")
        t.owner = owner
        _save_with_event(t, EventKind.ASSIGNED, fields={"owner"}, before=before, by=by)
    return t


# --- moving between levels -------------------------------------------------------------------


def escalate(
    ticket: Ticket | int,
    *,
    by: User,
    to_team: Team,
    handover: Handover,
    expected_version: int | None = None,
) -> Ticket:
    """Move the ticket to a team of a higher level with a complete handover.

    A vendor team works by email: it gets the handover as a mail and the ticket waits for it.
    """
    with _locked(ticket, expected_version) as t:
        _require_state(t, (State.NEW, State.OPEN), _("escalated"))
        if to_team.level <= t.team.level:
            raise InvalidTarget(
                _("Escalation goes to a higher level: %(team)s is not above level %(level)s.")
                % {"team": to_team.name, "level": t.team.level}
            )
        if to_team.is_vendor and not to_team.vendor_email:
            raise InvalidTarget(
                _("Vendor team %(team)s has no email address.") % {"team": to_team.name}
            )
        before = _snapshot(
            t,
            "team",
            "owner",
            "initial_situation",
            "affected_persons_text",
            "solution_attempts",
            "measures_taken",
        )
        _apply_handover(t, handover)
        from_state = t.state
        article = Article.objects.create(
            ticket=t,
            kind=ArticleKind.HANDOVER,
            visibility=Visibility.INTERNAL,
            author_user=by,
            subject=_("Handover to %(team)s") % {"team": to_team.name},
            body_text=_handover_text(t, handover.note),
        )
        fields = {
            "team",
            "owner",
            "state",
            "initial_situation",
            "affected_persons_text",
            "solution_attempts",
            "measures_taken",
        }
        if to_team.is_vendor:
            t.return_to_team, t.return_to_user = t.team, by
            fields |= {"return_to_team", "return_to_user"}
            queue_ticket_mail(
                t,
                MailKind.VENDOR_HANDOVER,
                to=[to_team.vendor_email],
                language=settings.LANGUAGE_CODE,
                context={
                    "agent_name": _agent_name(by),
                    "note": handover.note,
                    "affected": _affected_text(t),
                },
                author=by,
                visibility=Visibility.INTERNAL,
            )
        t.team, t.owner = to_team, None
        t.state = State.WAITING_FOR_VENDOR if to_team.is_vendor else State.OPEN
        _save_with_event(
            t,
            EventKind.ESCALATED,
            fields=fields,
            before=before,
            from_state=from_state,
            by=by,
            article=article,
            details={"level": [before["team"].level, to_team.level]},
        )
    return t


def _apply_handover(ticket: Ticket, handover: Handover) -> None:
    ticket.initial_situation = _require_text(handover.initial_situation, _("The initial situation"))
    ticket.solution_attempts = _require_text(handover.solution_attempts, _("The solution attempts"))
    ticket.measures_taken = _require_text(handover.measures_taken, _("The measures taken"))
    ticket.affected_persons_text = handover.affected_persons_text.strip()
    if handover.affected_contact_ids:
        _set_affected(ticket, handover.affected_contact_ids)
    if not ticket.affected_persons_text and not ticket.affected_contacts.exists():
        raise IncompleteInput(_("The affected persons are required."))


def _affected_text(ticket: Ticket) -> str:
    names = [c.name for c in ticket.affected_contacts.all()]
    if ticket.affected_persons_text:
        names.append(ticket.affected_persons_text)
    return "\n".join(names)


def _handover_text(ticket: Ticket, note: str) -> str:
    parts = [
        (_("Initial situation"), ticket.initial_situation),
        (_("Affected persons"), _affected_text(ticket)),
        (_("Solution attempts"), ticket.solution_attempts),
        (_("Measures taken"), ticket.measures_taken),
    ]
    if note.strip():
        parts.append((_("Note"), note.strip()))
    return "\n\n".join(f"{title}:\n{text}" for title, text in parts)


def hand_back(
    ticket: Ticket | int,
    *,
    by: User,
    to_team: Team,
    note: str,
    expected_version: int | None = None,
) -> Ticket:
    """Move the ticket down to a team of a lower level, saying why."""
    note = _require_text(note, _("A note for the receiving team"))
    with _locked(ticket, expected_version) as t:
        _require_state(t, (State.NEW, State.OPEN, State.WAITING_FOR_VENDOR), _("handed back"))
        if to_team.level >= t.team.level:
            raise InvalidTarget(
                _("Handing back goes to a lower level: %(team)s is not below level %(level)s.")
                % {"team": to_team.name, "level": t.team.level}
            )
        before = _snapshot(t, "team", "owner")
        from_state = t.state
        article = Article.objects.create(
            ticket=t,
            kind=ArticleKind.HANDOVER,
            visibility=Visibility.INTERNAL,
            author_user=by,
            subject=_("Handed back to %(team)s") % {"team": to_team.name},
            body_text=note,
        )
        t.team, t.owner, t.state = to_team, None, State.OPEN
        t.return_to_team = t.return_to_user = None
        _save_with_event(
            t,
            EventKind.HANDED_BACK,
            fields={"team", "owner", "state", "return_to_team", "return_to_user"},
            before=before,
            from_state=from_state,
            by=by,
            article=article,
            details={"level": [before["team"].level, to_team.level]},
        )
    return t


# --- waiting for the customer or the vendor --------------------------------------------------


def ask_customer(
    ticket: Ticket | int, *, by: User, question: str, expected_version: int | None = None
) -> Ticket:
    """Send the customer a question; the ticket waits, and the answer comes back to ``by``."""
    question = _require_text(question, _("The question"))
    with _locked(ticket, expected_version) as t:
        _require_state(t, (State.NEW, State.OPEN), _("put on hold for a question"))
        from_state = t.state
        article = _mail_contact(t, MailKind.CLARIFICATION, by=by, context={"question": question})
        if article is None:
            raise IncompleteInput(
                _("The contact has no email address: ask by phone and log a phone note.")
            )
        t.state = State.WAITING_FOR_CUSTOMER
        t.return_to_user, t.return_to_team = by, t.team
        _save_with_event(
            t,
            EventKind.ASKED,
            fields={"state", "return_to_user", "return_to_team"},
            from_state=from_state,
            by=by,
            article=article,
        )
    return t


def record_customer_reply(
    ticket: Ticket | int,
    *,
    contact: Contact,
    body: str,
    channel: Channel = Channel.EMAIL,
    subject: str = "",
    body_html: str = "",
) -> Ticket:
    """Add the customer's message; it ends a wait for them and reopens a recently solved ticket.

    Returns the ticket the message landed on: after the follow-up window a new one, linked to
    the old.
    """
    body = _require_text(body, _("A message"))
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    # Merged is final, so following the chain needs no lock.
    while (
        merged_into := Ticket.objects.filter(pk=pk, state=State.MERGED)
        .values_list("merged_into", flat=True)
        .first()
    ):
        pk = merged_into
    ticket = pk
    now = timezone.now()
    with _locked(ticket) as t:
        if t.state == State.RESOLVED and t.follow_up_until and t.follow_up_until <= now:
            _close(t, by=None)
        if t.state == State.CLOSED:
            return _open_follow_up(
                t, contact=contact, body=body, channel=channel, subject=subject, body_html=body_html
            )
        article = Article.objects.create(
            ticket=t,
            kind=CHANNEL_ARTICLE_KIND[channel],
            visibility=Visibility.PUBLIC,
            author_contact=contact,
            subject=subject[:250],
            body_text=body,
            body_html=body_html,
        )
        before = _snapshot(t, "team", "owner")
        from_state = t.state
        kind = EventKind.CUSTOMER_REPLIED
        fields: set[str] = set()
        if t.state == State.WAITING_FOR_CUSTOMER:
            t.state = State.OPEN
            t.team = t.return_to_team or t.team
            t.owner = t.return_to_user
            t.return_to_team = t.return_to_user = None
            fields = {"state", "team", "owner", "return_to_team", "return_to_user"}
        elif t.state == State.RESOLVED:
            kind = EventKind.REOPENED
            _reopen_fields(t)
            fields = {"state", "team", "owner", "follow_up_until", "resolved_at"}
        _save_with_event(
            t,
            kind,
            fields=fields,
            before=before,
            from_state=from_state if fields else "",
            contact=contact,
            article=article,
        )
    return t


def _reopen_fields(ticket: Ticket) -> None:
    ticket.state = State.OPEN
    ticket.team = ticket.resolved_team or ticket.team
    ticket.owner = ticket.resolved_by
    ticket.follow_up_until = None
    ticket.resolved_at = None


def _open_follow_up(
    closed: Ticket,
    *,
    contact: Contact,
    body: str,
    channel: Channel,
    subject: str,
    body_html: str = "",
) -> Ticket:
    follow_up = create_ticket(
        contact=contact,
        subject=subject or closed.subject,
        body=body,
        channel=channel,
        topic=closed.topic,
        priority=Priority(closed.priority),
        body_html=body_html,
    )
    TicketLink.objects.create(source=follow_up, target=closed, kind=LinkKind.FOLLOW_UP)
    _save_with_event(
        closed,
        EventKind.FOLLOW_UP_CREATED,
        fields=(),
        contact=contact,
        details={"follow_up": follow_up.number},
    )
    return follow_up


def wait_for_vendor(
    ticket: Ticket | int, *, by: User, note: str = "", expected_version: int | None = None
) -> Ticket:
    """Mark that the team waits for the manufacturer (contacted outside an escalation)."""
    with _locked(ticket, expected_version) as t:
        _require_state(t, (State.NEW, State.OPEN), _("put on hold for the vendor"))
        from_state = t.state
        article = None
        if note.strip():
            article = Article.objects.create(
                ticket=t, kind=ArticleKind.NOTE, author_user=by, body_text=note.strip()
            )
        t.state = State.WAITING_FOR_VENDOR
        t.return_to_team, t.return_to_user = t.team, by
        _save_with_event(
            t,
            EventKind.WAITING_FOR_VENDOR,
            fields={"state", "return_to_team", "return_to_user"},
            from_state=from_state,
            by=by,
            article=article,
        )
    return t


def record_vendor_reply(
    ticket: Ticket | int,
    *,
    body: str,
    by: User | None = None,
    subject: str = "",
    body_html: str = "",
) -> Ticket:
    """File the vendor's answer as an internal article and give the ticket back to its team."""
    body = _require_text(body, _("A message"))
    with _locked(ticket) as t:
        _require_state(t, (State.OPEN, State.WAITING_FOR_VENDOR), _("given a vendor reply"))
        article = Article.objects.create(
            ticket=t,
            kind=ArticleKind.EMAIL_IN if by is None else ArticleKind.NOTE,
            visibility=Visibility.INTERNAL,
            author_user=by,
            subject=subject[:250],
            body_text=body,
            body_html=body_html,
        )
        before = _snapshot(t, "team", "owner")
        from_state = t.state
        fields: set[str] = set()
        if t.state == State.WAITING_FOR_VENDOR:
            t.state = State.OPEN
            # The vendor team has no agents: the escalating team takes the ticket back.
            t.team = t.return_to_team or t.team
            t.owner = t.return_to_user
            t.return_to_team = t.return_to_user = None
            fields = {"state", "team", "owner", "return_to_team", "return_to_user"}
        _save_with_event(
            t,
            EventKind.VENDOR_REPLIED,
            fields=fields,
            before=before,
            from_state=from_state if fields else "",
            by=by,
            article=article,
        )
    return t


# --- talking and writing things down ---------------------------------------------------------


def reply_to_customer(
    ticket: Ticket | int, *, by: User, text: str, expected_version: int | None = None
) -> Ticket:
    text = _require_text(text, _("The reply"))
    with _locked(ticket, expected_version) as t:
        _require_state(t, (*OPEN_STATES, State.RESOLVED), _("answered"))
        article = _mail_contact(t, MailKind.REPLY, by=by, context={"text": text})
        if article is None:
            raise IncompleteInput(_("The contact has no email address: call them instead."))
        _save_with_event(t, EventKind.REPLIED, fields=(), by=by, article=article)
    return t


def add_note(
    ticket: Ticket | int,
    *,
    by: User,
    body: str,
    kind: ArticleKind = ArticleKind.NOTE,
    visibility: Visibility = Visibility.INTERNAL,
) -> Article:
    """An internal note or the record of a phone call; allowed in every state but merged."""
    if kind not in (ArticleKind.NOTE, ArticleKind.PHONE):
        raise InvalidTarget(_("Only notes and phone notes can be added this way."))
    body = _require_text(body, _("The note"))
    with _locked(ticket) as t:
        _require_state(t, [s for s in State.values if s != State.MERGED], _("annotated"))
        article = Article.objects.create(
            ticket=t, kind=kind, visibility=visibility, author_user=by, body_text=body
        )
        _save_with_event(t, EventKind.NOTE_ADDED, fields=(), by=by, article=article)
    return article


def record_mail_note(
    ticket: Ticket | int,
    *,
    body: str,
    subject: str = "",
    contact: Contact | None = None,
    body_html: str = "",
) -> Article:
    """A mail for the agents only, written by the system: from a sender who is not the ticket's
    customer, or a delivery failure report. It changes nothing but the timeline."""
    body = _require_text(body, _("A message"))
    with _locked(ticket) as t:
        article = Article.objects.create(
            ticket=t,
            kind=ArticleKind.EMAIL_IN,
            visibility=Visibility.INTERNAL,
            author_contact=contact,
            subject=subject[:250],
            body_text=body,
            body_html=body_html,
        )
        _save_with_event(t, EventKind.NOTE_ADDED, fields=(), contact=contact, article=article)
    return article


# --- the end of a ticket ---------------------------------------------------------------------


def resolve(
    ticket: Ticket | int, *, by: User, resolution: str, expected_version: int | None = None
) -> Ticket:
    """Record the solution and tell the customer; they can reopen within the follow-up window."""
    resolution = _require_text(resolution, _("The resolution"))
    with _locked(ticket, expected_version) as t:
        _require_state(t, OPEN_STATES, _("resolved"))
        now = timezone.now()
        from_state = t.state
        t.state = State.RESOLVED
        t.resolution = resolution
        t.resolved_at = now
        t.follow_up_until = now + follow_up_window()
        t.resolved_by = by
        # A reopening goes to people: not to a vendor team, which has no agents.
        t.resolved_team = t.return_to_team if t.team.is_vendor and t.return_to_team else t.team
        t.return_to_team = t.return_to_user = None
        article = _mail_contact(
            t,
            MailKind.RESOLUTION,
            by=by,
            context={"resolution": resolution, "follow_up_until": t.follow_up_until},
        )
        _save_with_event(
            t,
            EventKind.RESOLVED,
            fields={
                "state",
                "resolution",
                "resolved_at",
                "follow_up_until",
                "resolved_by",
                "resolved_team",
                "return_to_team",
                "return_to_user",
            },
            from_state=from_state,
            by=by,
            article=article,
            details={"resolution": resolution},
        )
    return t


def reopen(
    ticket: Ticket | int, *, by: User, reason: str, expected_version: int | None = None
) -> Ticket:
    """An agent reopens a resolved ticket (customers reopen by replying)."""
    reason = _require_text(reason, _("A reason"))
    with _locked(ticket, expected_version) as t:
        _require_state(t, (State.RESOLVED,), _("reopened"))
        before = _snapshot(t, "team", "owner")
        article = Article.objects.create(
            ticket=t, kind=ArticleKind.NOTE, author_user=by, body_text=reason
        )
        _reopen_fields(t)
        _save_with_event(
            t,
            EventKind.REOPENED,
            fields={"state", "team", "owner", "follow_up_until", "resolved_at"},
            before=before,
            from_state=State.RESOLVED,
            by=by,
            article=article,
        )
    return t


def _close(ticket: Ticket, *, by: User | None) -> None:
    ticket.state = State.CLOSED
    ticket.closed_at = timezone.now()
    _save_with_event(
        ticket,
        EventKind.CLOSED,
        fields={"state", "closed_at"},
        from_state=State.RESOLVED,
        by=by,
    )


def close_due_tickets(now: datetime | None = None, *, limit: int = 500) -> int:
    """Close resolved tickets whose follow-up window has passed; safe with several workers."""
    now = now or timezone.now()
    due_ids = list(
        Ticket.objects.due_for_closing(now)
        .order_by("follow_up_until")
        .values_list("pk", flat=True)[:limit]
    )
    closed = 0
    for pk in due_ids:
        with _locked(pk) as t:
            # Another worker or a customer reply may have got there first.
            if t.state == State.RESOLVED and t.follow_up_until and t.follow_up_until <= now:
                _close(t, by=None)
                closed += 1
    return closed


def merge(
    ticket: Ticket | int, *, into: Ticket | int, by: User, expected_version: int | None = None
) -> Ticket:
    """Fold a duplicate into another ticket; later replies to it land on the target."""
    source_pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    target_pk = into.pk if isinstance(into, Ticket) else into
    if source_pk == target_pk:
        raise InvalidTarget(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        # Lock both rows in a fixed order so two opposite merges cannot deadlock.
        first, second = sorted((source_pk, target_pk))
        with _locked(first), _locked(second):
            pass
        with _locked(source_pk, expected_version) as t:
            target = Ticket.objects.get(pk=target_pk)
            _require_state(t, OPEN_STATES, _("merged"))
            if target.state not in OPEN_STATES:
                raise InvalidTarget(
                    _("Ticket %(number)s is no longer open.") % {"number": target.number}
                )
            from_state = t.state
            t.state = State.MERGED
            t.merged_into = target
            TicketLink.objects.get_or_create(
                source=t, target=target, defaults={"kind": LinkKind.DUPLICATE}
            )
            _save_with_event(
                t,
                EventKind.MERGED,
                fields={"state", "merged_into"},
                from_state=from_state,
                by=by,
                details={"into": target.number},
            )
    return t


def link(
    ticket: Ticket | int,
    *,
    other: Ticket | int,
    by: User,
    kind: LinkKind = LinkKind.RELATED,
) -> TicketLink:
    other_pk = other.pk if isinstance(other, Ticket) else other
    with _locked(ticket) as t:
        if other_pk == t.pk:
            raise InvalidTarget(_("A ticket cannot be linked to itself."))
        target = Ticket.objects.filter(pk=other_pk).first()
        if target is None:
            raise InvalidTarget(_("That ticket does not exist."))
        link_row, created = TicketLink.objects.get_or_create(
            source=t, target=target, defaults={"kind": kind}
        )
        if created:
            _save_with_event(
                t,
                EventKind.LINKED,
                fields=(),
                by=by,
                details={"target": target.number, "kind": kind},
            )
    return link_row
