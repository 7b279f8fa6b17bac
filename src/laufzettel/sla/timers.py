"""The timer engine: the worker fires due timers, each at most once, stale ones doing nothing.

A sweep claims a batch of due timers with one conditional ``UPDATE … RETURNING`` (on PostgreSQL
over ``FOR UPDATE SKIP LOCKED``, so two workers never claim the same timer), locks the batch's
tickets in id order, and fires the batch's timers in the same transaction: their clock updates,
ledger entries, new timers and outbox rows are collected and written at the end in a few bulk
statements (``clocks.Effects``). A crash before the commit leaves every timer of the batch
unfired: they are due again and fire then. A timer whose generation is older than its
ticket's (the ticket changed since it was planned) is consumed without effect.

Only due rows are read: the claim is served by the partial index ``sla_timer_due``
(``due_at`` where ``fired_at IS NULL``), whatever the number of open tickets.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from laufzettel.accounts.models import Team
from laufzettel.sla import notices
from laufzettel.sla.clocks import STATUS_UPDATE_STATES, ClockBook, Effects
from laufzettel.sla.models import (
    ClockKind,
    ClockStatus,
    LedgerAction,
    TicketClock,
    TicketSla,
    Timer,
    TimerKind,
)
from laufzettel.tickets.models import State, Ticket

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Claimed:
    id: int
    ticket_id: int
    kind: str
    clock: str
    generation: int


def claim_sql(vendor: str) -> str:
    table = Timer._meta.db_table
    lock = " FOR UPDATE SKIP LOCKED" if vendor == "postgresql" else ""
    return (
        f"UPDATE {table} SET fired_at = %s WHERE id IN ("
        f"SELECT id FROM {table} WHERE fired_at IS NULL AND due_at <= %s "
        f"ORDER BY due_at LIMIT %s{lock}) "
        "RETURNING id, ticket_id, kind, clock, generation"
    )


def _claim(now: datetime, limit: int) -> list[Claimed]:
    with connection.cursor() as cursor:
        cursor.execute(claim_sql(connection.vendor), [now, now, limit])
        return [Claimed(*row) for row in cursor.fetchall()]


def fire_due_timers(now: datetime | None = None, *, batch: int | None = None) -> int:
    """Fire every timer due at ``now``; returns how many were claimed (stale ones included)."""
    now = now or timezone.now()
    batch = batch or settings.LAUFZETTEL_SLA_TIMER_BATCH
    total = 0
    # Until a claim comes back empty: a firing that changes its ticket (auto-escalation) plans
    # timers of its own, which may already be due.
    while claimed := fire_batch(now, batch):
        total += claimed
    return total


class _BatchFailed(Exception):
    pass


def fire_batch(now: datetime, batch: int) -> int:
    """Claim and fire up to ``batch`` timers in one transaction.

    If one firing fails, the whole batch is rolled back (unclaimed again) and the timers are
    fired one per transaction instead, so only the failing one is put off for ``RETRY_AFTER``.
    """
    try:
        return _fire(now, batch, failed=None)
    except _BatchFailed:
        done = 0
        for _ in range(batch):
            failed: list[Claimed] = []
            try:
                claimed = _fire(now, 1, failed=failed)
            except _BatchFailed:
                claimed = 1
                timer = failed[0]
                log.exception("timer %s (%s) failed; retried later", timer.id, timer.kind)
                Timer.objects.filter(pk=timer.id, fired_at__isnull=True).update(
                    due_at=now + RETRY_AFTER
                )
            if not claimed:
                break
            done += claimed
        return done


def _fire(now: datetime, batch: int, *, failed: list[Claimed] | None) -> int:
    with transaction.atomic():
        claimed = _claim(now, batch)
        if not claimed:
            return 0
        ticket_ids = sorted({c.ticket_id for c in claimed})
        # Locked in id order: two workers with overlapping batches cannot deadlock.
        tickets = {
            t.pk: t
            for t in Ticket.objects.select_for_update(of=("self",))
            .select_related("team", "contact", "organization", "topic")
            .prefetch_related("contact__emails")
            .filter(pk__in=ticket_ids)
            .order_by("pk")
        }
        # One instance per team, so a team's addresses are looked up once per batch.
        teams: dict[int, Team] = {}
        for ticket in tickets.values():
            ticket.team = teams.setdefault(ticket.team_id, ticket.team)
        clocks: dict[int, dict[str, TicketClock]] = {pk: {} for pk in ticket_ids}
        for c in TicketClock.objects.filter(ticket_id__in=ticket_ids):
            clocks[c.ticket_id][c.kind] = c
        slas = {
            s.ticket_id: s
            for s in TicketSla.objects.select_related("policy__calendar").filter(
                ticket_id__in=ticket_ids
            )
        }
        effects = Effects()
        if any(c.kind == TimerKind.STATUS_UPDATE for c in claimed):
            effects.latest_notes = notices.latest_public_notes(ticket_ids)
        for timer in sorted(claimed, key=lambda c: c.id):
            sla = slas.get(timer.ticket_id)
            if sla is None or sla.generation != timer.generation:
                continue  # stale: planned before the ticket's last change
            ticket = tickets[timer.ticket_id]
            book = ClockBook(
                ticket=ticket, sla=sla, now=now, clocks=clocks[ticket.pk], effects=effects
            )
            try:
                FIRE[timer.kind](book, timer)
            except Exception as exc:
                if failed is not None:
                    failed.append(timer)
                raise _BatchFailed from exc
        effects.flush()
    return len(claimed)


def _clock_alert(book: ClockBook, timer: Claimed) -> None:
    ticket, sla, now = book.ticket, book.sla, book.now
    clock = book.clocks.get(timer.clock)
    if clock is None or clock.status != ClockStatus.RUNNING:
        return
    if timer.kind == TimerKind.WARNING:
        if clock.warned_at or clock.breached_at:
            return
        clock.warned_at = now
        book.dirty.add(clock.kind)
        book.note(LedgerAction.WARNED, f"{clock.warn_percent} % of the time used", clock)
        book.save()
        notices.mail_team(
            ticket, clock, breached=False, remaining=book.remaining(clock), effects=book.effects
        )
        return
    if clock.breached_at:
        return
    clock.breached_at = clock.deadline or now
    book.dirty.add(clock.kind)
    book.note(LedgerAction.BREACHED, "deadline passed", clock)
    book.save()
    notices.mail_team(ticket, clock, breached=True, remaining=timedelta(0), effects=book.effects)
    policy = sla.policy
    if (
        policy
        and policy.auto_escalate
        and clock.kind != ClockKind.LEVEL
        and ticket.state in (State.NEW, State.OPEN)
    ):
        _flush(book)
        notices.auto_escalate(ticket, policy, book)
        _reload(book)


def _flush(book: ClockBook) -> None:
    """Before a life-cycle call: its hook reads clocks and state from the database."""
    if book.effects is not None:
        book.effects.flush()


def _reload(book: ClockBook) -> None:
    """After a life-cycle call the hook planned anew: later timers of the batch see that."""
    book.save()
    _flush(book)
    book.ticket.refresh_from_db()
    book.sla.refresh_from_db()
    book.clocks.clear()
    book.clocks.update({c.kind: c for c in TicketClock.objects.filter(ticket=book.ticket)})


def _status_update(book: ClockBook, timer: Claimed) -> None:
    ticket, sla, now = book.ticket, book.sla, book.now
    if ticket.state not in STATUS_UPDATE_STATES or sla.status_updates_paused:
        return
    notices.send_status_update(ticket, book.effects)
    sla.status_anchor = now
    sla.status_updates_sent += 1
    book.note(LedgerAction.STATUS_UPDATE, f"update {sla.status_updates_sent} sent")
    book.replan()


def _reminder(book: ClockBook, timer: Claimed) -> None:
    ticket, sla, now = book.ticket, book.sla, book.now
    if ticket.state != State.WAITING_FOR_CUSTOMER or sla.asked_at is None:
        return
    notices.send_reminder(ticket, sla, book.effects)
    sla.reminded_at = now
    book.note(LedgerAction.REMINDED, "question unanswered")
    book.replan()


def _clarification_expired(book: ClockBook, timer: Claimed) -> None:
    ticket, sla = book.ticket, book.sla
    if ticket.state != State.WAITING_FOR_CUSTOMER or sla.reminded_at is None:
        return
    if settings.LAUFZETTEL_SLA_AUTO_RESOLVE:
        book.note(LedgerAction.AUTO_RESOLVED, "question unanswered after the reminder")
        book.save()
        _flush(book)
        notices.auto_resolve(ticket)
        _reload(book)
    else:
        book.note(LedgerAction.CLARIFICATION_EXPIRED, "question unanswered after the reminder")
        # Planned once: the ticket stays waiting until someone acts.
        sla.reminded_at = sla.asked_at = None
        book.replan()


FIRE: dict[str, Callable[[ClockBook, Claimed], None]] = {
    TimerKind.WARNING: _clock_alert,
    TimerKind.BREACH: _clock_alert,
    TimerKind.STATUS_UPDATE: _status_update,
    TimerKind.REMINDER: _reminder,
    TimerKind.CLARIFICATION_EXPIRED: _clarification_expired,
}
