"""SLA clocks of a ticket, kept in step with its life cycle through the change hook.

``on_ticket_change`` runs inside every life-cycle transaction: it starts, pauses, resumes and
stops the ticket's clocks, writes a ledger entry for each, tracks level stays, and plans the
ticket's timers anew (``replan``). Planning raises the ticket's timer generation, so a timer
planned before the change is stale and fires nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model, Q
from django.utils import timezone

from laufzettel.sla.business_time import (
    Schedule,
    add_business_days,
    add_business_time,
    business_time_between,
)
from laufzettel.sla.models import (
    ClockKind,
    ClockStatus,
    LedgerAction,
    LevelStay,
    LevelTarget,
    SlaLedgerEntry,
    SlaPolicy,
    TicketClock,
    TicketSla,
    Timer,
    TimerKind,
    default_schedule,
)
from laufzettel.tickets.models import Event, EventKind, State, Ticket

WAITING_STATES = (State.WAITING_FOR_CUSTOMER, State.WAITING_FOR_VENDOR)
# Status updates go out while the team works or waits for the vendor, never while the
# customer owes us an answer.
STATUS_UPDATE_STATES = (State.NEW, State.OPEN, State.WAITING_FOR_VENDOR)
FINAL_STATES = (State.RESOLVED, State.CLOSED, State.MERGED)
# A message to the customer from an agent answers the first-response clock.
RESPONSE_EVENTS = (EventKind.REPLIED, EventKind.ASKED, EventKind.RESOLVED)
POLICY_FIELDS = ("priority", "topic", "organization")
POLICY_MINUTES = {
    ClockKind.FIRST_RESPONSE: "first_response_minutes",
    ClockKind.RESOLUTION: "resolution_minutes",
}


def choose_policy(ticket: Ticket) -> SlaPolicy | None:
    """The most specific active policy matching the ticket (one query)."""
    candidates = SlaPolicy.objects.filter(
        Q(organization__isnull=True) | Q(organization_id=ticket.organization_id),
        Q(topic__isnull=True) | Q(topic_id=ticket.topic_id),
        Q(priority="") | Q(priority=ticket.priority),
        is_active=True,
    ).select_related("calendar")
    best = sorted(candidates, key=lambda p: (-p.specificity(), p.pk))
    return best[0] if best else None


def schedule_for(policy: SlaPolicy | None) -> Schedule:
    return policy.calendar.schedule() if policy else default_schedule()


def seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


@dataclass
class Effects:
    """Writes of a whole timer batch, made at its end in a few bulk statements.

    Per-row writes cost one round trip each; a batch of a hundred firings would spend most of
    its time waiting for the database. Everything here belongs to tickets the batch has locked.
    """

    clocks: dict[int, TicketClock] = field(default_factory=dict)
    ledger: list[SlaLedgerEntry] = field(default_factory=list)
    slas: dict[int, TicketSla] = field(default_factory=dict)
    # The latest plan per replanned ticket.
    timers: dict[int, list[Timer]] = field(default_factory=dict)
    mails: list["PendingMail"] = field(default_factory=list)
    schedules: dict[int | None, Schedule] = field(default_factory=dict)
    # Latest public agent article per ticket, fetched for the batch when status mails are due.
    latest_notes: dict[int, Any] | None = None

    def flush(self) -> None:
        from laufzettel.sla.notices import queue_mails

        if self.timers:
            _drop_unfired_timers(*self.timers)
            Timer.objects.bulk_create([t for plan in self.timers.values() for t in plan])
        if self.slas:
            update_rows(TicketSla, list(self.slas.values()), SLA_FIELDS)
        if self.clocks:
            update_rows(TicketClock, list(self.clocks.values()), CLOCK_FIELDS)
        if self.ledger:
            SlaLedgerEntry.objects.bulk_create(self.ledger)
        if self.mails:
            queue_mails(self.mails)
        self.clocks, self.ledger, self.slas, self.timers, self.mails = {}, [], {}, {}, []


def update_rows(model: type[Model], objs: list[Any], fields: list[str]) -> None:
    """Save ``fields`` of many rows in one statement (PostgreSQL) or one prepared batch.

    ``QuerySet.bulk_update`` builds a CASE expression per row and field, which costs more
    Python time for a hundred rows than the database needs for the whole batch.
    """
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    columns = [meta.get_field(name) for name in fields]
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            typed = ", ".join(
                f"%s::{field.db_type(connection)}"
                for field in [*columns, pk]  # type: ignore[list-item]
            )
            names = ", ".join([field.column for field in columns] + ["pk_"])
            cursor.execute(
                f"UPDATE {meta.db_table} AS t SET "
                + ", ".join(f"{field.column} = v.{field.column}" for field in columns)
                + f" FROM (VALUES {', '.join(f'({typed})' for _ in rows)}) AS v({names})"
                + f" WHERE t.{pk.column} = v.pk_",
                [value for row in rows for value in row],
            )
        else:
            cursor.executemany(
                f"UPDATE {meta.db_table} SET "
                + ", ".join(f"{field.column} = %s" for field in columns)
                + f" WHERE {pk.column} = %s",
                rows,
            )


@dataclass(frozen=True)
class PendingMail:
    ticket: Ticket
    kind: str
    to: list[str]
    language: str
    context: dict[str, object]
    internal: bool = False


SLA_FIELDS = ["generation", "status_anchor", "status_updates_sent", "asked_at", "reminded_at"]
CLOCK_FIELDS = [
    "status",
    "spent_seconds",
    "running_since",
    "deadline",
    "warned_at",
    "breached_at",
    "stopped_at",
]


@dataclass
class ClockBook:
    """A ticket's SLA state while one change is applied to it; ``save`` writes it back."""

    ticket: Ticket
    sla: TicketSla
    now: datetime
    clocks: dict[str, TicketClock]
    _schedule: Schedule | None = None
    ledger: list[SlaLedgerEntry] = field(default_factory=list)
    dirty: set[str] = field(default_factory=set)
    # Set by the timer sweep: writes wait for the end of its batch.
    effects: Effects | None = None

    @classmethod
    def load(cls, ticket: Ticket, now: datetime, *, create: bool = False) -> "ClockBook":
        sla = None
        if not create:
            sla = TicketSla.objects.select_related("policy__calendar").filter(ticket=ticket).first()
        if sla is None:
            # Also for tickets older than this app: their time keeping starts now.
            sla = TicketSla.objects.create(ticket=ticket, status_anchor=now)
            create = True
        clocks = {} if create else {c.kind: c for c in ticket.sla_clocks.all()}
        return cls(ticket=ticket, sla=sla, now=now, clocks=clocks)

    @property
    def schedule(self) -> Schedule:
        if self._schedule is None:
            if self.effects is None:
                self._schedule = schedule_for(self.sla.policy)
            else:
                cache = self.effects.schedules
                key = self.sla.policy_id
                if key not in cache:
                    cache[key] = schedule_for(self.sla.policy)
                self._schedule = cache[key]
        return self._schedule

    @property
    def calendar_name(self) -> str:
        """For the ledger; unlike ``schedule`` it needs no query for closing days."""
        if self._schedule is not None:
            return self._schedule.name
        policy = self.sla.policy
        return policy.calendar.name if policy else default_schedule().name

    # --- ledger and clock arithmetic ---

    def note(
        self,
        action: LedgerAction,
        reason: str,
        clock: TicketClock | None = None,
        *,
        deadline: datetime | None = None,
    ) -> None:
        self.ledger.append(
            SlaLedgerEntry(
                ticket=self.ticket,
                clock=clock.kind if clock else "",
                action=action,
                reason=reason[:300],
                calendar=self.calendar_name,
                deadline=deadline if deadline is not None else (clock.deadline if clock else None),
                at=self.now,
            )
        )

    def spent(self, clock: TicketClock) -> timedelta:
        """Business time counted on ``clock`` up to now."""
        total = timedelta(seconds=clock.spent_seconds)
        if clock.status == ClockStatus.RUNNING and clock.running_since:
            total += business_time_between(clock.running_since, self.now, self.schedule)
        return total

    def compute_deadline(self, clock: TicketClock) -> None:
        if clock.status != ClockStatus.RUNNING or clock.running_since is None:
            return
        remaining = clock.target - timedelta(seconds=clock.spent_seconds)
        # A clock already past its target keeps the deadline it passed.
        if remaining > timedelta(0) or clock.deadline is None:
            clock.deadline = add_business_time(clock.running_since, remaining, self.schedule)

    def start(
        self,
        kind: ClockKind,
        target: timedelta,
        reason: str,
        *,
        since: datetime | None = None,
        warn_percent: int | None = None,
        level: int | None = None,
    ) -> TicketClock:
        clock = self.clocks.get(kind) or TicketClock(ticket=self.ticket, kind=kind)
        clock.status = ClockStatus.RUNNING
        clock.target_seconds = seconds(target)
        clock.warn_percent = warn_percent or settings.LAUFZETTEL_SLA_WARN_PERCENT
        clock.spent_seconds = 0
        clock.running_since = since or self.now
        clock.deadline = clock.warned_at = clock.breached_at = clock.stopped_at = None
        clock.level = level
        self.clocks[kind] = clock
        self.compute_deadline(clock)
        self.dirty.add(kind)
        self.note(LedgerAction.STARTED, reason, clock)
        if self.ticket.state in WAITING_STATES:
            self.pause(clock, reason)
        return clock

    def pause(self, clock: TicketClock, reason: str) -> None:
        if clock.status != ClockStatus.RUNNING:
            return
        clock.spent_seconds = seconds(self.spent(clock))
        clock.status, clock.running_since = ClockStatus.PAUSED, None
        self.dirty.add(clock.kind)
        self.note(LedgerAction.PAUSED, reason, clock)

    def resume(self, clock: TicketClock, reason: str) -> None:
        if clock.status == ClockStatus.RUNNING:
            return
        clock.status, clock.running_since, clock.stopped_at = ClockStatus.RUNNING, self.now, None
        self.compute_deadline(clock)
        self.dirty.add(clock.kind)
        self.note(LedgerAction.RESUMED, reason, clock)

    def stop(self, clock: TicketClock, reason: str) -> None:
        if clock.status == ClockStatus.STOPPED:
            return
        clock.spent_seconds = seconds(self.spent(clock))
        clock.status, clock.running_since, clock.stopped_at = ClockStatus.STOPPED, None, self.now
        self.dirty.add(clock.kind)
        late = clock.breached_at is not None or clock.spent_seconds > clock.target_seconds
        self.note(LedgerAction.STOPPED if late else LedgerAction.MET, reason, clock)

    def retarget(self, clock: TicketClock, target: timedelta, warn: int, reason: str) -> None:
        if clock.target_seconds == seconds(target) and clock.warn_percent == warn:
            return
        clock.target_seconds, clock.warn_percent = seconds(target), warn
        clock.deadline = None
        if clock.breached_at and clock.spent_seconds < clock.target_seconds:
            clock.breached_at = None
        self.compute_deadline(clock)
        self.dirty.add(clock.kind)
        self.note(LedgerAction.RECOMPUTED, reason, clock)

    def remaining(self, clock: TicketClock) -> timedelta:
        return clock.target - self.spent(clock)

    # --- planning ---

    def save(self) -> None:
        if self.effects is not None:
            for kind in self.dirty:
                clock = self.clocks[kind]
                if clock.pk is None:
                    clock.save()
                else:
                    self.effects.clocks[clock.pk] = clock
            self.effects.ledger.extend(self.ledger)
            self.ledger = []
            self.dirty.clear()
            return
        for kind in self.dirty:
            self.clocks[kind].save()
        if self.ledger:
            SlaLedgerEntry.objects.bulk_create(self.ledger)
            self.ledger = []
        self.dirty.clear()

    def replan(self) -> list[Timer]:
        """Drop the ticket's unfired timers and plan them anew under a new generation."""
        self.save()
        sla = self.sla
        sla.generation += 1
        timers = [
            Timer(ticket=self.ticket, kind=kind, clock=clock, due_at=due, generation=sla.generation)
            for kind, clock, due in self.due_moments()
        ]
        if self.effects is not None:
            self.effects.timers[self.ticket.pk] = timers
            self.effects.slas[self.ticket.pk] = sla
            return timers
        _drop_unfired_timers(self.ticket.pk)
        Timer.objects.bulk_create(timers)
        sla.save()
        return timers

    def due_moments(self) -> list[tuple[TimerKind, str, datetime]]:
        moments: list[tuple[TimerKind, str, datetime]] = []
        schedule = self.schedule
        for clock in self.clocks.values():
            if clock.status != ClockStatus.RUNNING or clock.running_since is None:
                continue
            if clock.warned_at is None and clock.breached_at is None:
                warn_after = clock.target * clock.warn_percent / 100 - timedelta(
                    seconds=clock.spent_seconds
                )
                due = add_business_time(clock.running_since, warn_after, schedule)
                moments.append((TimerKind.WARNING, clock.kind, due))
            if clock.breached_at is None and clock.deadline is not None:
                moments.append((TimerKind.BREACH, clock.kind, clock.deadline))
        sla, state = self.sla, self.ticket.state
        interval = sla.policy.update_interval_minutes if sla.policy else None
        if interval and state in STATUS_UPDATE_STATES and not sla.status_updates_paused:
            anchor = sla.status_anchor or self.now
            due = add_business_time(anchor, timedelta(minutes=interval), schedule)
            moments.append((TimerKind.STATUS_UPDATE, "", due))
        if state == State.WAITING_FOR_CUSTOMER and sla.asked_at:
            if sla.reminded_at is None:
                days = settings.LAUFZETTEL_SLA_REMINDER_DAYS
                due = add_business_days(sla.asked_at, days, schedule)
                moments.append((TimerKind.REMINDER, "", due))
            else:
                days = settings.LAUFZETTEL_SLA_AUTO_RESOLVE_DAYS
                due = add_business_days(sla.reminded_at, days, schedule)
                moments.append((TimerKind.CLARIFICATION_EXPIRED, "", due))
        return moments


def _drop_unfired_timers(*ticket_ids: int) -> None:
    """Delete the ticket's pending timers, skipping any a worker is firing right now.

    Skipping (not waiting) matters: a worker holds its claimed timer rows and then waits for the
    ticket's row, which this transaction holds; waiting here would deadlock. The skipped timer is
    of the old generation, so it fires nothing.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {Timer._meta.db_table} WHERE id IN (SELECT id FROM "
                f"{Timer._meta.db_table} WHERE ticket_id = ANY(%s) AND fired_at IS NULL "
                "FOR UPDATE SKIP LOCKED)",
                [list(ticket_ids)],
            )
    else:
        Timer.objects.filter(ticket_id__in=ticket_ids, fired_at__isnull=True).delete()


# --- the change hook ----------------------------------------------------------------------


def _state_reason(state: str) -> str:
    return f"state {state}"


def on_ticket_change(ticket: Ticket, event: Event) -> None:
    """Keep the ticket's clocks, level stays and timers in step with one life-cycle change."""
    kind = event.kind
    if kind in (EventKind.NOTE_ADDED, EventKind.LINKED, EventKind.ASSIGNED):
        # Nothing time-related changes: no queries at all.
        return
    if kind == EventKind.FOLLOW_UP_CREATED:
        return
    now = event.created_at or timezone.now()
    created = kind == EventKind.CREATED
    book = ClockBook.load(ticket, now, create=created)
    changes = event.changes or {}
    sla = book.sla
    reason = f"{kind}"

    if created or any(name in changes for name in POLICY_FIELDS):
        _apply_policy(book, event, created=created)
    if created:
        _start_stay(ticket, now)
        _start_level_clock(book, f"{kind}: level {ticket.team.level}")
    elif "team" in changes:
        _end_stays(book)
        _start_stay(ticket, now)
        level_clock = book.clocks.get(ClockKind.LEVEL)
        if level_clock is None or level_clock.level != ticket.team.level:
            if level_clock is not None:
                book.stop(level_clock, f"{kind}: left level {level_clock.level}")
            _start_level_clock(book, f"{kind}: level {ticket.team.level}")

    if kind in RESPONSE_EVENTS and (fr := book.clocks.get(ClockKind.FIRST_RESPONSE)):
        book.stop(fr, reason)
    to_state = event.to_state
    if to_state in FINAL_STATES:
        for clock in book.clocks.values():
            book.stop(clock, reason)
        _end_stays(book)
    elif to_state in WAITING_STATES:
        for clock in book.clocks.values():
            book.pause(clock, f"{reason}: {_state_reason(to_state)}")
    elif to_state == State.OPEN and event.from_state in (*WAITING_STATES, State.RESOLVED):
        for clock in book.clocks.values():
            # A first response once given stays given; the rest runs again.
            if clock.kind == ClockKind.FIRST_RESPONSE and clock.status == ClockStatus.STOPPED:
                continue
            book.resume(clock, f"{reason}: {_state_reason(to_state)}")
        if event.from_state == State.RESOLVED and "team" not in changes:
            _start_stay(ticket, now)

    # Status updates count from the last conversation with the customer.
    if kind in (EventKind.REPLIED, EventKind.REOPENED) or (
        kind == EventKind.CUSTOMER_REPLIED and event.from_state == State.WAITING_FOR_CUSTOMER
    ):
        sla.status_anchor = now
    if kind == EventKind.ASKED:
        sla.asked_at, sla.reminded_at = now, None
    elif ticket.state != State.WAITING_FOR_CUSTOMER:
        sla.asked_at = sla.reminded_at = None
    book.replan()


def _apply_policy(book: ClockBook, event: Event, *, created: bool) -> None:
    ticket, sla = book.ticket, book.sla
    policy = choose_policy(ticket)
    changed = [name for name in POLICY_FIELDS if name in (event.changes or {})]
    if not created and policy == sla.policy and not changed:
        return
    previous = sla.policy
    sla.policy = policy
    book._schedule = None
    if created:
        why = f"ticket created; policy {policy or '-'}"
    else:
        detail = ", ".join(f"{n}: {event.changes[n][0]} → {event.changes[n][1]}" for n in changed)
        why = f"{detail}; policy {previous or '-'} → {policy or '-'}"
    for kind, attribute in POLICY_MINUTES.items():
        minutes = getattr(policy, attribute) if policy else None
        clock = book.clocks.get(kind)
        if minutes is None:
            if clock is not None:
                book.stop(clock, f"{why}: no {kind} time")
            continue
        target = timedelta(minutes=minutes)
        warn = policy.warn_share() if policy else settings.LAUFZETTEL_SLA_WARN_PERCENT
        if clock is None:
            if kind == ClockKind.FIRST_RESPONSE and not created:
                # Whether an agent answered before the policy applied is not tracked: counting
                # a first response now would be a guess.
                continue
            # A policy that applies later still counts from the request's arrival.
            book.start(kind, target, why, since=ticket.created_at or book.now, warn_percent=warn)
        else:
            book.retarget(clock, target, warn, why)


def _start_level_clock(book: ClockBook, reason: str) -> None:
    level = book.ticket.team.level
    target = LevelTarget.objects.filter(level=level).first()
    if target is None:
        return
    book.start(
        ClockKind.LEVEL,
        timedelta(minutes=target.minutes),
        reason,
        warn_percent=target.warn_percent,
        level=level,
    )


def _start_stay(ticket: Ticket, now: datetime) -> None:
    LevelStay.objects.create(
        ticket=ticket, team=ticket.team, level=ticket.team.level, started_at=now
    )


def _end_stays(book: ClockBook) -> None:
    for stay in LevelStay.objects.filter(ticket=book.ticket, ended_at__isnull=True):
        stay.ended_at = book.now
        stay.business_seconds = seconds(
            business_time_between(stay.started_at, book.now, book.schedule)
        )
        stay.save(update_fields=["ended_at", "business_seconds"])
