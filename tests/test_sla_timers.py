"""The timer engine: warnings at 80 %, breaches at 100 %, auto-escalation; each timer fires once,
stale timers fire nothing, two workers on PostgreSQL never fire the same timer twice."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from laufzettel.ops.worker import ROUND_JOBS
from laufzettel.outbox.models import MailKind, OutboundEmail
from laufzettel.sla.clocks import ClockBook
from laufzettel.sla.models import (
    ClockKind,
    SlaLedgerEntry,
    SlaPolicy,
    TicketSla,
    Timer,
    TimerKind,
)
from laufzettel.sla.timers import claim_sql, fire_due_timers
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Event, EventKind, State, Ticket
from tests.conftest import Org
from tests.test_sla_support import Clock, clock_of, ledger, local, mails, open_ticket, sweep

pytest_plugins = ["tests.test_sla_support"]

FR, RES = ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION
TEAM_MAILS = (MailKind.SLA_WARNING, MailKind.SLA_BREACH)


def test_the_worker_runs_the_sweep() -> None:
    assert fire_due_timers in ROUND_JOBS


def test_warning_at_80_percent_then_breach_to_the_owning_team(
    org: Org, policy: SlaPolicy, clock: Clock
) -> None:
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org)

    assert sweep(clock, local(2026, 6, 1, 9, 47)) == 0
    assert sweep(clock, local(2026, 6, 1, 9, 48)) == 1  # first-response warning
    warning = mails(ticket, *TEAM_MAILS)
    assert [(m.kind, m.to) for m in warning] == [(MailKind.SLA_WARNING, ["anna@support.example"])]
    assert "80 %" in warning[0].body_text and "12 Minuten" in warning[0].body_text
    assert clock_of(ticket, FR).warned_at == local(2026, 6, 1, 9, 48)

    assert sweep(clock, local(2026, 6, 1, 10, 5)) == 1  # first-response breach
    breach = clock_of(ticket, FR)
    assert breach.breached_at == local(2026, 6, 1, 10, 0)
    assert [m.kind for m in mails(ticket, *TEAM_MAILS)] == [
        MailKind.SLA_WARNING,
        MailKind.SLA_BREACH,
    ]
    assert (FR, "warned") in ledger(ticket) and (FR, "breached") in ledger(ticket)
    # Team mails are internal: the customer sees none of them on the timeline.
    assert all(m.article.visibility == "internal" for m in mails(ticket, *TEAM_MAILS))
    # A late answer stops the clock as breached, not met.
    lifecycle.reply_to_customer(ticket, by=org.first_level_agent, text="Wir sind dran.")
    assert not clock_of(ticket, FR).met
    assert ledger(ticket)[-1] == (FR, "stopped")


def test_a_team_lead_and_members_are_warned(org: Org, policy: SlaPolicy, clock: Clock) -> None:
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org, team=org.rechenzentrum)
    sweep(clock, local(2026, 6, 1, 9, 50))
    # bernd is lead and member: named once.
    assert [m.to for m in mails(ticket, MailKind.SLA_WARNING)] == [["bernd@support.example"]]


def test_no_warning_while_waiting_and_an_answer_in_time_fires_nothing(
    org: Org, policy: SlaPolicy, clock: Clock
) -> None:
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org)
    clock.at(local(2026, 6, 1, 9, 30))
    lifecycle.reply_to_customer(ticket, by=org.first_level_agent, text="Wir sind dran.")
    clock.at(local(2026, 6, 1, 10, 0))
    lifecycle.ask_customer(ticket, by=org.first_level_agent, question="Welche IP?")
    # A week later (the reminder is a customer mail, not a team one).
    sweep(clock, local(2026, 6, 3, 17, 0))
    assert mails(ticket, *TEAM_MAILS) == []
    assert clock_of(ticket, FR).met


def test_auto_escalation_on_breach(org: Org, policy: SlaPolicy, clock: Clock) -> None:
    policy.auto_escalate = True
    policy.save()
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org, topic=org.topic_rz)
    lifecycle.reply_to_customer(ticket, by=org.first_level_agent, text="Wir sind dran.")

    sweep(clock, local(2026, 6, 1, 17, 0))  # resolution time used up

    ticket.refresh_from_db()
    assert ticket.team == org.rechenzentrum
    escalated = Event.objects.get(ticket=ticket, kind=EventKind.ESCALATED)
    assert escalated.actor_user.username == "laufzettel-system"
    assert not escalated.actor_user.has_usable_password()
    actions = [e.action for e in SlaLedgerEntry.objects.filter(ticket=ticket)]
    assert actions.count("escalated") == 1
    # The breach was mailed to the team that had it.
    assert [m.to for m in mails(ticket, MailKind.SLA_BREACH)] == [["anna@support.example"]]
    # Firing again does nothing more.
    assert sweep(clock, local(2026, 6, 1, 17, 1)) == 0
    assert Event.objects.filter(ticket=ticket, kind=EventKind.ESCALATED).count() == 1


def test_each_timer_fires_once(org: Org, policy: SlaPolicy, clock: Clock) -> None:
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org)
    sweep(clock, local(2026, 6, 1, 9, 50))
    sweep(clock, local(2026, 6, 1, 9, 50))
    assert [m.kind for m in mails(ticket, *TEAM_MAILS)] == [MailKind.SLA_WARNING]
    assert Timer.objects.filter(ticket=ticket, kind=TimerKind.WARNING, clock=FR).count() == 1


def test_a_stale_timer_fires_nothing(org: Org, policy: SlaPolicy, clock: Clock) -> None:
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org)
    sla = TicketSla.objects.get(ticket=ticket)
    # As if a worker had read this timer just before the ticket changed (older generation).
    stale = Timer.objects.create(
        ticket=ticket,
        kind=TimerKind.STATUS_UPDATE,
        due_at=local(2026, 6, 1, 9, 0),
        generation=sla.generation - 1,
    )
    before = OutboundEmail.objects.count()
    assert sweep(clock, local(2026, 6, 1, 9, 1)) == 1
    stale.refresh_from_db()
    assert stale.fired_at is not None
    assert OutboundEmail.objects.count() == before
    assert TicketSla.objects.get(ticket=ticket).status_updates_sent == 0


def test_a_sweep_with_nothing_due_is_one_statement(
    org: Org, policy: SlaPolicy, clock: Clock
) -> None:
    open_ticket(org)
    with CaptureQueriesContext(connection) as captured:
        assert fire_due_timers() == 0
    # Only the claim; the rest is the transaction's savepoint inside the test's transaction.
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and statements[0].startswith("UPDATE sla_timer SET fired_at")


def test_a_failing_timer_is_retried_later_and_the_rest_fire(
    org: Org, policy: SlaPolicy, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laufzettel.sla import timers

    clock.at(local(2026, 6, 1, 9, 0))
    broken = open_ticket(org)
    fine = open_ticket(org)

    def fail_for_broken(book: ClockBook, timer: object) -> None:
        if book.ticket.pk == broken.pk:
            raise RuntimeError("template missing")
        original(book, timer)  # type: ignore[arg-type]

    original = timers.FIRE[TimerKind.WARNING]
    monkeypatch.setitem(timers.FIRE, TimerKind.WARNING, fail_for_broken)
    sweep(clock, local(2026, 6, 1, 9, 50))
    assert mails(fine, MailKind.SLA_WARNING) and not mails(broken, MailKind.SLA_WARNING)
    retry = Timer.objects.get(ticket=broken, kind=TimerKind.WARNING, clock=FR)
    assert retry.fired_at is None and retry.due_at == local(2026, 6, 1, 9, 55)

    monkeypatch.setitem(timers.FIRE, TimerKind.WARNING, original)
    sweep(clock, local(2026, 6, 1, 9, 55))
    assert len(mails(broken, MailKind.SLA_WARNING)) == 1


def test_the_claim_reads_only_due_rows_through_the_partial_index(
    postgres_only: None, org: Org, policy: SlaPolicy, clock: Clock
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test table: force the choice
        cursor.execute(
            "EXPLAIN " + claim_sql("postgresql"), [local(2026, 6, 1), local(2026, 6, 1), 100]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "sla_timer_due" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_two_workers_fire_each_timer_once(postgres_only: None, clock: Clock) -> None:
    from tests.conftest import Org as Personas
    from tests.test_sla_support import bavaria as _bavaria  # noqa: F401

    org = Personas()
    for user in (org.first_level_agent,):
        user.email = "anna@support.example"
        user.save(update_fields=["email"])
    from laufzettel.sla.models import Calendar

    SlaPolicy.objects.create(
        name="Standard",
        calendar=Calendar.objects.create(name="Bayern", holiday_state="BY"),
        first_response_minutes=60,
        update_interval_minutes=240,
        resolution_minutes=480,
    )
    clock.at(local(2026, 6, 1, 9, 0))
    tickets = [open_ticket(org) for _ in range(30)]
    clock.at(local(2026, 6, 1, 9, 50))  # 30 first-response warnings due

    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(fire_due_timers(batch=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(counts) == 30
    warnings = OutboundEmail.objects.filter(kind=MailKind.SLA_WARNING)
    assert sorted(warnings.values_list("ticket_id", flat=True)) == sorted(t.pk for t in tickets)
    assert Ticket.objects.filter(state=State.NEW).count() == 30


def test_queries_for_lists_and_the_ticket_page(org: Org, policy: SlaPolicy, clock: Clock) -> None:
    from laufzettel.sla import queries

    clock.at(local(2026, 6, 1, 9, 0))
    calm, late = open_ticket(org), open_ticket(org)
    lifecycle.reply_to_customer(calm, by=org.first_level_agent, text="Wir sind dran.")
    sweep(clock, local(2026, 6, 1, 10, 30))  # late's first response is breached
    assert list(queries.sla_at_risk(Ticket.objects.all())) == [late]
    assert list(queries.breached(Ticket.objects.all())) == [late]
    assert queries.next_customer_update(calm) == local(2026, 6, 1, 13, 0)
    views = {v.kind: v for v in queries.ticket_clocks(late)}
    assert views[RES].remaining.total_seconds() == 6.5 * 3600
    assert views[FR].breached and views[FR].remaining.total_seconds() == -1800
    lifecycle.resolve(late, by=org.first_level_agent, resolution="erledigt")
    lifecycle.resolve(calm, by=org.first_level_agent, resolution="erledigt")
    # Four SLA clocks stopped, one of them breached.
    assert queries.sla_compliance() == 0.75
    assert [e.action for e in queries.ticket_ledger(late)][:3] == ["started", "started", "warned"]
