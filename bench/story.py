"""One generated ticket's life: the rows ``tickets.lifecycle`` would have written for it.

A ticket is played forward from its creation time step by step (qualify, assign, escalate, ask,
resolve, close, ...). Each step writes what the matching life-cycle action writes: the changed
fields, exactly one event with the same kind, states and change keys, the article and the outbox
row of a mail. Play stops at the first step that would lie in the future, so the final state,
``version``, ``updated_at`` and the resolution/follow-up/closing fields always agree with the
events, and old tickets are mostly closed while recent ones are still being worked on.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import accumulate
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from bench import texts
from bench.rows import DAY, HOUR, MINUTE, Ids, OfficeHours, Rows, Slip, encode_json, pick
from bench.world import Agent, ContactInfo, TeamInfo, World
from laufzettel.outbox.models import DeliveryState, MailKind
from laufzettel.tickets.models import (
    NUMBER_OFFSET,
    ArticleKind,
    Channel,
    EventKind,
    LinkKind,
    Priority,
    State,
    Visibility,
)

INTAKE_KIND = {
    Channel.PHONE: ArticleKind.PHONE,
    Channel.EMAIL: ArticleKind.EMAIL_IN,
    Channel.PORTAL: ArticleKind.PORTAL,
    Channel.API: ArticleKind.API,
}
CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.PORTAL, Channel.API)
CHANNEL_WEIGHTS = list(accumulate((45, 40, 12, 3)))
PRIORITIES = tuple(str(p) for p in (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT))
PRIORITY_WEIGHTS = list(accumulate((15, 60, 20, 5)))
# How far a ticket goes: solved at first level, second level, development or the vendor.
PATHS = ("first", "second", "development", "vendor")
PATH_WEIGHTS = list(accumulate((58, 34, 4, 4)))
PUBLIC, INTERNAL = str(Visibility.PUBLIC), str(Visibility.INTERNAL)
SENT, QUEUED = str(DeliveryState.SENT), str(DeliveryState.QUEUED)
MAX_ARTICLES = 6
DUPLICATE_SHARE = 0.02
LONG_RUNNER_SHARE = 0.08


@dataclass(frozen=True)
class Recent:
    """A recently created ticket that a duplicate could be merged into while it is still open."""

    pk: int
    contact: ContactInfo
    subject: str
    open_until: float


class Storyteller:
    """Plays one ticket after another (oldest first) and collects their rows in ``rows``."""

    def __init__(
        self, rng: Random, world: World, now_ts: float, ids: Ids, stamp: Callable[[float], Any]
    ) -> None:
        self.rng = rng
        self.world = world
        self.now = now_ts
        self.ids = ids
        self.stamp = stamp
        self.window = settings.LAUFZETTEL_FOLLOW_UP_DAYS * DAY
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self.mail_domain = settings.LAUFZETTEL_MAIL_DOMAIN
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.office = OfficeHours(self.tz, rng)
        self._stamped: tuple[float, Any] = (-1.0, None)
        self.recent: deque[Recent] = deque(maxlen=200)
        self.rows = Rows()
        self.teams = {
            t.id: t
            for t in (world.intake, world.development, world.vendor, *world.specialists.values())
        }
        # ``str(user)`` is the username: how ``lifecycle._display`` writes an owner change.
        self.usernames = {a.id: a.username for team in self.teams.values() for a in team.agents}

    # --- the plan ----------------------------------------------------------------------------

    def tell(self, created: float, contact: ContactInfo) -> None:
        """Add the rows of one ticket created at ``created`` to ``self.rows``."""
        rng = self.rng
        self.ts = created
        self.articles = 0
        duplicate_of = self._duplicate_target(created) if rng.random() < DUPLICATE_SHARE else None
        if duplicate_of is not None:
            contact = duplicate_of.contact
        topic = rng.choice(texts.TOPIC_NAMES)
        self.contact = contact
        self.case = texts.draw_case(rng, topic, contact.name, contact.city)
        if duplicate_of is not None:
            self.case = replace(self.case, subject=duplicate_of.subject)
        # A few tickets are projects or hard cases: everything about them takes 25 times longer.
        slow = duplicate_of is None and rng.random() < LONG_RUNNER_SHARE
        self.slow = 25.0 if slow else 1.0
        self.first_resolved = float("inf")
        t = self._create(pick(rng, CHANNELS, CHANNEL_WEIGHTS))
        if duplicate_of is None:
            self._play(t, topic)
            self.recent.append(Recent(t.pk, contact, t.subject, self.first_resolved))
        elif self._wait(5 * MINUTE, 0.8, cap=HOUR):
            if self.ts < duplicate_of.open_until:
                self._merge(t, duplicate_of)
            else:  # the original was solved before anyone saw the duplicate
                self._play(t, topic)
        self._ticket_row(t)

    def _play(self, t: Slip, topic: str) -> None:
        rng, world = self.rng, self.world
        first = rng.choice(world.intake.agents)
        path = pick(rng, PATHS, PATH_WEIGHTS)
        phone = t.channel == Channel.PHONE
        if not self._wait(4 * MINUTE if phone else 40 * MINUTE, 1.0):
            return
        self._qualify(t, first, topic)
        if rng.random() < 0.6 and self._wait(10 * MINUTE, 1.0):
            self._assign(t, first)
        # The articles still allowed besides the required ones (intake and acknowledgement are
        # written; each path needs its handovers and a resolution).
        spare = MAX_ARTICLES - self.articles - {"first": 1, "second": 2}.get(path, 3)
        if path == "first":
            spare = self._extras(t, first, spare)
            if self._wait(2 * HOUR, 1.3):
                self._resolve_and_close(t, first, spare)
            return
        specialists = world.specialists[topic]
        if not self._wait(45 * MINUTE, 1.0):
            return
        self._escalate(t, first, specialists)
        expert = rng.choice(specialists.agents)
        if not self._wait(40 * MINUTE, 1.0):
            return
        if rng.random() < 0.7:
            self._assign(t, expert)
        if path == "second":
            spare = self._extras(t, expert, spare)
            if spare >= 1 and rng.random() < 0.08:
                # The expert asks the manufacturer outside an escalation and files the answer.
                if not self._wait(3 * HOUR, 1.0):
                    return
                self._wait_for_vendor(t, expert)
                if not self._wait(2 * DAY, 1.0, agent=False):
                    return
                self._vendor_reply(t)
                spare -= 1
            if self._wait(20 * HOUR, 1.2):
                self._resolve_and_close(t, expert, spare)
            return
        if not self._wait(4 * HOUR, 1.0):
            return
        third = world.development if path == "development" else world.vendor
        self._escalate(t, expert, third)
        if path == "development":
            solver = rng.choice(third.agents)
            if not self._wait(2 * HOUR, 1.0):
                return
            self._assign(t, solver)
            spare = self._extras(t, solver, spare)
            if self._wait(3 * DAY, 1.0):
                self._resolve_and_close(t, solver, spare)
            return
        # The vendor works by email; the escalating expert resolves once the fix is in.
        if self._wait(4 * DAY, 0.8):
            self._resolve_and_close(t, expert, 0)

    def _extras(self, t: Slip, agent: Agent, spare: int) -> int:
        """Optional work on the way: a question to the customer, an internal note."""
        rng = self.rng
        if spare >= 2 and rng.random() < 0.2:
            if not self._wait(HOUR, 1.0):
                return 0
            self._ask(t, agent)
            spare -= 2
            if not self._wait(8 * HOUR, 1.8, agent=False):
                return 0
            self._customer_reply(t)
        if spare >= 1 and rng.random() < 0.2:
            if not self._wait(2 * HOUR, 1.0):
                return 0
            self._note(t, agent)
            spare -= 1
        return spare

    def _resolve_and_close(self, t: Slip, agent: Agent, spare: int) -> None:
        self._resolve(t, agent)
        if spare >= 2 and self.rng.random() < 0.05:
            # The customer writes back within the window: the ticket reopens at the solver.
            if not self._wait(DAY, 1.0, cap=self.window * 0.9, agent=False):
                return
            self._reopen(t)
            if not self._wait(5 * HOUR, 1.0):
                return
            self._resolve(t, agent)
        # The worker closes it once the window has passed (it polls every few seconds).
        closing = t.follow_up_until + self.rng.uniform(1, 120)
        if closing <= self.now:
            self.ts = closing
            self._close(t)

    def _wait(self, median: float, sigma: float, cap: float = 60 * DAY, agent: bool = True) -> bool:
        """Let a log-normally distributed time pass (for an agent: into office hours).

        False once it lies past "now": the story ends there.
        """
        self.ts += min(median * self.slow * self.rng.lognormvariate(0, sigma), cap)
        if agent:
            self.ts = self.office.next_open(self.ts)
        return self.ts <= self.now

    def _stamp(self) -> Any:
        """The current story time in the database's format (rows of one step share it)."""
        if self._stamped[0] != self.ts:
            self._stamped = (self.ts, self.stamp(self.ts))
        return self._stamped[1]

    def _duplicate_target(self, created: float) -> Recent | None:
        candidates = [r for r in self.recent if r.open_until > created + 2 * HOUR]
        return self.rng.choice(candidates) if candidates else None

    # --- the steps, one per life-cycle action ------------------------------------------------

    def _create(self, channel: str) -> Slip:
        c, case, intake = self.contact, self.case, self.world.intake
        pk = self.ids.ticket
        self.ids.ticket += 1
        agent = self.rng.choice(intake.agents) if channel == Channel.PHONE else None
        body = texts.intake_text(self.rng, case, channel, c.name, c.organization, c.phone)
        t = Slip(pk, case.subject, str(channel), intake.id, body, self.ts)
        article = self._article(
            t, INTAKE_KIND[channel], PUBLIC, body, case.subject, agent, agent is None
        )
        self._event(
            t,
            EventKind.CREATED,
            user=agent,
            by_contact=agent is None,
            to_state=State.NEW,
            changes={"channel": t.channel, "team": intake.name},
            article=article,
            bump=False,
        )
        subject, text = texts.acknowledgement_mail(c.language, _number(t), case.subject, c.name)
        self._mail(t, MailKind.ACKNOWLEDGEMENT, subject, text, [c.email], None, PUBLIC)
        return t

    def _qualify(self, t: Slip, by: Agent, topic: str) -> None:
        priority = pick(self.rng, PRIORITIES, PRIORITY_WEIGHTS)
        changes: dict[str, Any] = {"topic": [None, topic]}
        if priority != t.priority:
            changes["priority"] = [t.priority, priority]
        t.topic_id, t.priority = self.world.topics[topic], priority
        self._event(t, EventKind.QUALIFIED, user=by, state=State.OPEN, changes=changes)

    def _assign(self, t: Slip, owner: Agent) -> None:
        before = self._owner_name(t)
        t.owner_id = owner.id
        changes = {"owner": [before, owner.username]} if before != owner.username else {}
        self._event(t, EventKind.ASSIGNED, user=owner, changes=changes)

    def _escalate(self, t: Slip, by: Agent, to: TeamInfo) -> None:
        rng, case, c = self.rng, self.case, self.contact
        source = self.teams[t.team_id]
        affected = c.name if rng.random() < 0.6 else f"{c.name} und {rng.randint(2, 40)} Kollegen"
        changes: dict[str, Any] = {"level": [source.level, to.level]}
        changes["team"] = [source.display, to.display]
        if t.owner_id is not None:
            changes["owner"] = [self._owner_name(t), None]
        for name, value in (
            ("initial_situation", case.description),
            ("affected_persons_text", affected),
            ("solution_attempts", case.attempts),
            ("measures_taken", case.measures),
        ):
            if getattr(t, name) != value:
                changes[name] = [getattr(t, name), value]
                setattr(t, name, value)
        if source.level == 1 and rng.random() < 0.3:
            self.rows.affected.append((t.pk, c.id))
        handover = texts.handover_text(case, affected)
        article = self._article(
            t, ArticleKind.HANDOVER, INTERNAL, handover, f"Übergabe an {to.name}", by
        )
        if to.is_vendor:
            t.return_to_team_id, t.return_to_user_id = t.team_id, by.id
            subject, text = texts.vendor_mail(
                _number(t), case.subject, c.organization, handover, by.full_name
            )
            self._mail(t, MailKind.VENDOR_HANDOVER, subject, text, [to.vendor_email], by)
        t.team_id, t.owner_id = to.id, None
        state = State.WAITING_FOR_VENDOR if to.is_vendor else State.OPEN
        self._event(t, EventKind.ESCALATED, user=by, state=state, changes=changes, article=article)

    def _ask(self, t: Slip, by: Agent) -> None:
        c = self.contact
        subject, text = texts.clarification_mail(
            c.language, _number(t), t.subject, c.name, self.case.question, by.full_name
        )
        article = self._mail(t, MailKind.CLARIFICATION, subject, text, [c.email], by, PUBLIC)
        t.return_to_user_id, t.return_to_team_id = by.id, t.team_id
        self._event(t, EventKind.ASKED, user=by, state=State.WAITING_FOR_CUSTOMER, article=article)

    def _customer_reply(self, t: Slip) -> None:
        article = self._customer_article(t)
        changes = self._return(t)
        self._event(
            t,
            EventKind.CUSTOMER_REPLIED,
            by_contact=True,
            state=State.OPEN,
            changes=changes,
            article=article,
        )

    def _wait_for_vendor(self, t: Slip, by: Agent) -> None:
        t.return_to_team_id, t.return_to_user_id = t.team_id, by.id
        self._event(t, EventKind.WAITING_FOR_VENDOR, user=by, state=State.WAITING_FOR_VENDOR)

    def _vendor_reply(self, t: Slip) -> None:
        subject = f"AW: Bitte um Unterstützung: {t.subject}"[:250]
        article = self._article(t, ArticleKind.EMAIL_IN, INTERNAL, self.case.vendor_reply, subject)
        changes = self._return(t)
        self._event(t, EventKind.VENDOR_REPLIED, state=State.OPEN, changes=changes, article=article)

    def _note(self, t: Slip, by: Agent) -> None:
        article = self._article(t, ArticleKind.NOTE, INTERNAL, self.case.note, "", by)
        self._event(t, EventKind.NOTE_ADDED, user=by, article=article)

    def _resolve(self, t: Slip, by: Agent) -> None:
        c, ts = self.contact, self.ts
        self.first_resolved = min(self.first_resolved, ts)
        team = self.teams[t.team_id]
        t.resolution = self.case.resolution
        t.resolved_at, t.follow_up_until = ts, ts + self.window
        t.resolved_by_id = by.id
        # As in ``lifecycle.resolve``: a vendor team has no agents, a reopening goes to people.
        vendor_wait = team.is_vendor and t.return_to_team_id
        t.resolved_team_id = t.return_to_team_id if vendor_wait else team.id
        t.return_to_team_id = t.return_to_user_id = None
        until = datetime.fromtimestamp(t.follow_up_until, self.tz).strftime("%d.%m.%Y")
        subject, text = texts.resolution_mail(
            c.language, _number(t), t.subject, c.name, t.resolution, until, by.full_name
        )
        article = self._mail(t, MailKind.RESOLUTION, subject, text, [c.email], by, PUBLIC)
        self._event(
            t,
            EventKind.RESOLVED,
            user=by,
            state=State.RESOLVED,
            changes={"resolution": t.resolution},
            article=article,
        )

    def _reopen(self, t: Slip) -> None:
        article = self._customer_article(t)
        before_team, before_owner = self.teams[t.team_id].display, self._owner_name(t)
        t.team_id, t.owner_id = t.resolved_team_id, t.resolved_by_id
        t.follow_up_until = t.resolved_at = None
        changes = self._diff(before_team, before_owner, t)
        self._event(
            t,
            EventKind.REOPENED,
            by_contact=True,
            state=State.OPEN,
            changes=changes,
            article=article,
        )

    def _close(self, t: Slip) -> None:
        t.closed_at = self.ts
        self._event(t, EventKind.CLOSED, state=State.CLOSED)

    def _merge(self, t: Slip, into: Recent) -> None:
        t.merged_into_id = into.pk
        self.rows.links.append((t.pk, into.pk, str(LinkKind.DUPLICATE), self._stamp()))
        by = self.rng.choice(self.world.intake.agents)
        changes = {"into": str(NUMBER_OFFSET + into.pk)}
        self._event(t, EventKind.MERGED, user=by, state=State.MERGED, changes=changes)

    # --- rows ----------------------------------------------------------------------------------

    def _owner_name(self, t: Slip) -> str | None:
        return None if t.owner_id is None else self.usernames[t.owner_id]

    def _return(self, t: Slip) -> dict[str, Any]:
        """End a wait: the ticket goes back to the team and agent that started it."""
        before_team, before_owner = self.teams[t.team_id].display, self._owner_name(t)
        t.team_id = t.return_to_team_id or t.team_id
        t.owner_id = t.return_to_user_id
        t.return_to_team_id = t.return_to_user_id = None
        return self._diff(before_team, before_owner, t)

    def _diff(self, before_team: str, before_owner: str | None, t: Slip) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if self.teams[t.team_id].display != before_team:
            changes["team"] = [before_team, self.teams[t.team_id].display]
        if self._owner_name(t) != before_owner:
            changes["owner"] = [before_owner, self._owner_name(t)]
        return changes

    def _customer_article(self, t: Slip) -> int:
        body = texts.customer_reply(self.rng, self.case, self.contact.name)
        subject = f"AW: {t.subject} [Ticket#{_number(t)}]"[:250]
        return self._article(t, ArticleKind.EMAIL_IN, PUBLIC, body, subject, None, True)

    def _article(
        self,
        t: Slip,
        kind: str,
        visibility: str,
        body: str,
        subject: str = "",
        user: Agent | None = None,
        by_contact: bool = False,
    ) -> int:
        pk = self.ids.article
        self.ids.article += 1
        self.articles += 1
        self.rows.articles.append(
            (
                pk,
                t.pk,
                str(kind),
                visibility,
                user.id if user else None,
                self.contact.id if by_contact else None,
                subject,
                body,
                "",
                self._stamp(),
            )
        )
        return pk

    def _mail(
        self,
        t: Slip,
        kind: MailKind,
        subject: str,
        text: str,
        to: list[str],
        by: Agent | None,
        visibility: str = INTERNAL,
    ) -> int:
        """An outgoing mail: its timeline article and its outbox row (sent, unless just now)."""
        article = self._article(t, ArticleKind.EMAIL_OUT, visibility, text, subject, by)
        pk = self.ids.mail
        self.ids.mail += 1
        sent = self.ts + self.rng.uniform(1, 20)
        delivered = sent <= self.now
        root = f"<ticket-{t.pk}@{self.mail_domain}>"
        headers = {"In-Reply-To": root, "References": root, "X-Laufzettel-Ticket": _number(t)}
        if kind in (MailKind.ACKNOWLEDGEMENT, MailKind.RESOLUTION):
            headers |= {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
        stamp = self._stamp()
        self.rows.mails.append(
            (
                pk,
                t.pk,
                article,
                str(kind),
                f"<{self.rng.getrandbits(96):024x}.{pk}@{self.mail_domain}>",
                self.from_email,
                encode_json(to),
                subject,
                text,
                "",
                encode_json(headers),
                SENT if delivered else QUEUED,
                1 if delivered else 0,
                stamp,
                "",
                self.stamp(sent) if delivered else None,
                stamp,
            )
        )
        return article

    def _event(
        self,
        t: Slip,
        kind: str,
        *,
        user: Agent | None = None,
        by_contact: bool = False,
        state: str | None = None,
        to_state: str = "",
        changes: dict[str, Any] | None = None,
        article: int | None = None,
        bump: bool = True,
    ) -> None:
        """The audit row of one step; like ``_save_with_event`` it bumps version and updated_at."""
        from_state = ""
        if state is not None:
            from_state, t.state, to_state = t.state, str(state), str(state)
        if bump:
            t.version += 1
            t.updated_at = self.ts
        pk = self.ids.event
        self.ids.event += 1
        self.rows.events.append(
            (
                pk,
                t.pk,
                str(kind),
                user.id if user else None,
                self.contact.id if by_contact else None,
                from_state,
                str(to_state),
                encode_json(changes) if changes else "{}",
                article,
                self._stamp(),
            )
        )

    def _ticket_row(self, t: Slip) -> None:
        stamp, c = self.stamp, self.contact
        self.rows.states.append(t.state)
        self.rows.tickets.append(
            (
                t.pk,
                t.subject,
                c.id,
                c.organization_id,
                t.topic_id,
                t.priority,
                t.channel,
                t.team_id,
                t.owner_id,
                t.state,
                t.initial_situation,
                t.affected_persons_text,
                t.solution_attempts,
                t.measures_taken,
                t.resolution,
                t.return_to_user_id,
                t.return_to_team_id,
                t.resolved_by_id,
                t.resolved_team_id,
                None if t.resolved_at is None else stamp(t.resolved_at),
                None if t.follow_up_until is None else stamp(t.follow_up_until),
                None if t.closed_at is None else stamp(t.closed_at),
                t.merged_into_id,
                stamp(t.created_at),
                stamp(t.updated_at),
                t.version,
            )
        )


def _number(t: Slip) -> str:
    return str(NUMBER_OFFSET + t.pk)
