"""SLA clocks follow the ticket: exact deadlines, pauses while waiting, recomputation, ledger."""

from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from laufzettel.sla.models import (
    Calendar,
    ClockKind,
    ClockStatus,
    LevelStay,
    LevelTarget,
    SlaLedgerEntry,
    SlaPolicy,
    TicketSla,
    TimerKind,
)
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Priority
from tests.conftest import Org
from tests.test_sla_support import (
    BERLIN,
    Clock,
    clock_of,
    ledger,
    local,
    open_ticket,
    pending,
)

# The shared fixtures (clock, bavaria, policy).
pytest_plugins = ["tests.test_sla_support"]

FR, RES, LEVEL = ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION, ClockKind.LEVEL
HANDOVER = lifecycle.Handover(
    initial_situation="Server RZ-7 down",
    affected_persons_text="Buchhaltung",
    solution_attempts="Ping, Neustart per Fernwartung",
    measures_taken="Ticket an RZ",
)


def test_friday_afternoon_ticket_gets_monday_deadlines_and_timers(
    org: Org, policy: SlaPolicy, clock: Clock
) -> None:
    clock.at(local(2026, 6, 12, 16, 30))  # Friday
    ticket = open_ticket(org)

    # 30 minutes on Friday, the rest on Monday from 08:00.
    assert clock_of(ticket, FR).deadline == local(2026, 6, 15, 8, 30)
    assert clock_of(ticket, RES).deadline == local(2026, 6, 15, 15, 30)
    assert pending(ticket) == {
        # 80 % of 60 minutes = 48 minutes.
        (TimerKind.WARNING, FR): local(2026, 6, 15, 8, 18),
        (TimerKind.BREACH, FR): local(2026, 6, 15, 8, 30),
        # 80 % of 8 hours = 6 h 24 min.
        (TimerKind.WARNING, RES): local(2026, 6, 15, 13, 54),
        (TimerKind.BREACH, RES): local(2026, 6, 15, 15, 30),
        (TimerKind.STATUS_UPDATE, ""): local(2026, 6, 15, 11, 30),
    }
    entries = list(SlaLedgerEntry.objects.filter(ticket=ticket))
    assert [(e.clock, e.action) for e in entries] == [(FR, "started"), (RES, "started")]
    assert {e.calendar for e in entries} == {"Bayern Bürozeiten"}
    assert "policy Standard" in entries[0].reason


def test_waiting_for_the_customer_pauses_across_a_bavarian_holiday(
    org: Org, policy: SlaPolicy, clock: Clock
) -> None:
    clock.at(local(2026, 6, 1, 9, 0))  # Monday
    ticket = open_ticket(org)
    clock.at(local(2026, 6, 1, 10, 0))
    lifecycle.ask_customer(ticket, by=org.first_level_agent, question="Welche IP?")

    first = clock_of(ticket, FR)
    assert first.status == ClockStatus.STOPPED and first.met
    resolution = clock_of(ticket, RES)
    assert resolution.status == ClockStatus.PAUSED
    assert resolution.spent_seconds == 3600
    # Nothing but the clarification reminder is planned while the customer owes an answer.
    assert set(pending(ticket)) == {(TimerKind.REMINDER, "")}

    clock.at(local(2026, 6, 3, 14, 0))  # Wednesday
    lifecycle.record_customer_reply(ticket, contact=org.customer_a, body="10.0.0.7")

    resolution = clock_of(ticket, RES)
    assert resolution.status == ClockStatus.RUNNING
    # 7 hours left: 3 on Wednesday, Thursday is Fronleichnam, 4 on Friday.
    assert resolution.deadline == local(2026, 6, 5, 12, 0)
    assert ledger(ticket) == [
        (FR, "started"),
        (RES, "started"),
        (FR, "met"),
        (RES, "paused"),
        (RES, "resumed"),
    ]
    resumed = SlaLedgerEntry.objects.filter(ticket=ticket, action="resumed").get()
    assert resumed.deadline == local(2026, 6, 5, 12, 0)


def test_in_berlin_the_same_wait_ends_a_day_earlier(org: Org, clock: Clock) -> None:
    berlin = Calendar.objects.create(name="Berlin", holiday_state="BE")
    SlaPolicy.objects.create(name="Berlin", calendar=berlin, resolution_minutes=480)
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org)
    clock.at(local(2026, 6, 1, 10, 0))
    lifecycle.ask_customer(ticket, by=org.first_level_agent, question="Welche IP?")
    clock.at(local(2026, 6, 3, 14, 0))
    lifecycle.record_customer_reply(ticket, contact=org.customer_a, body="10.0.0.7")
    assert clock_of(ticket, RES).deadline == local(2026, 6, 4, 12, 0)


def test_waiting_for_the_vendor_pauses_too(org: Org, policy: SlaPolicy, clock: Clock) -> None:
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org)
    lifecycle.reply_to_customer(ticket, by=org.first_level_agent, text="Wir schauen.")
    clock.at(local(2026, 6, 1, 11, 0))
    lifecycle.wait_for_vendor(ticket, by=org.first_level_agent, note="Hersteller gefragt")
    assert clock_of(ticket, RES).status == ClockStatus.PAUSED
    clock.at(local(2026, 6, 8, 9, 0))  # a week later
    lifecycle.record_vendor_reply(ticket, body="Firmware 2.1 einspielen")
    # 2 hours spent, 6 left from Monday 8 June 09:00.
    assert clock_of(ticket, RES).deadline == local(2026, 6, 8, 15, 0)


def test_a_priority_change_recomputes_the_deadline_and_says_why(
    org: Org, policy: SlaPolicy, clock: Clock, bavaria: Calendar
) -> None:
    SlaPolicy.objects.create(
        name="Hoch",
        calendar=bavaria,
        priority=Priority.HIGH,
        first_response_minutes=30,
        resolution_minutes=240,
    )
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org)
    assert clock_of(ticket, RES).deadline == local(2026, 6, 1, 17, 0)

    clock.at(local(2026, 6, 1, 10, 0))
    lifecycle.qualify(ticket, by=org.first_level_agent, priority=Priority.HIGH)

    assert clock_of(ticket, RES).deadline == local(2026, 6, 1, 13, 0)
    assert clock_of(ticket, FR).deadline == local(2026, 6, 1, 9, 30)
    assert TicketSla.objects.get(ticket=ticket).policy.name == "Hoch"
    recomputed = SlaLedgerEntry.objects.filter(ticket=ticket, action="recomputed")
    assert recomputed.count() == 2
    assert all("priority: normal → high; policy Standard → Hoch" in e.reason for e in recomputed)
    # The timers follow: the old 17:00 breach is gone.
    assert pending(ticket)[(TimerKind.BREACH, RES)] == local(2026, 6, 1, 13, 0)


def test_the_most_specific_policy_wins(org: Org, policy: SlaPolicy, bavaria: Calendar) -> None:
    premium = Calendar.objects.create(name="24/7", always_open=True)
    SlaPolicy.objects.create(
        name="Müller Premium", organization=org.org_a, calendar=premium, resolution_minutes=120
    )
    SlaPolicy.objects.create(
        name="RZ", topic=org.topic_rz, calendar=bavaria, resolution_minutes=600
    )
    SlaPolicy.objects.create(name="Aus", organization=org.org_a, calendar=bavaria, is_active=False)
    ticket = open_ticket(org, topic=org.topic_rz)
    assert TicketSla.objects.get(ticket=ticket).policy.name == "Müller Premium"


def test_premium_24_7_counts_through_the_weekend_and_dst(org: Org, clock: Clock) -> None:
    premium = Calendar.objects.create(name="24/7", always_open=True)
    SlaPolicy.objects.create(name="Premium", calendar=premium, resolution_minutes=240)
    # Sunday 29 March 2026, 00:30 CET: the clocks jump from 02:00 to 03:00.
    clock.at(local(2026, 3, 29, 0, 30))
    ticket = open_ticket(org)
    assert clock_of(ticket, RES).deadline.astimezone(BERLIN) == local(2026, 3, 29, 5, 30)


def test_resolving_stops_every_clock_and_timer_and_reopening_resumes(
    org: Org, policy: SlaPolicy, clock: Clock
) -> None:
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org)
    clock.at(local(2026, 6, 1, 9, 30))
    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Neu gestartet")
    assert clock_of(ticket, FR).met and clock_of(ticket, RES).met
    assert pending(ticket) == {}

    clock.at(local(2026, 6, 2, 10, 0))
    lifecycle.record_customer_reply(ticket, contact=org.customer_a, body="Wieder weg!")
    res = clock_of(ticket, RES)
    assert res.status == ClockStatus.RUNNING
    # Half an hour was spent; 7.5 hours from Tuesday 10:00.
    assert res.deadline == local(2026, 6, 3, 8, 30)
    # The first response was given and stays given.
    assert clock_of(ticket, FR).status == ClockStatus.STOPPED


def test_level_stays_and_the_level_target(org: Org, policy: SlaPolicy, clock: Clock) -> None:
    LevelTarget.objects.create(level=1, minutes=60)
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org, topic=org.topic_rz)
    level = clock_of(ticket, LEVEL)
    assert (level.level, level.deadline) == (1, local(2026, 6, 1, 10, 0))
    assert pending(ticket)[(TimerKind.WARNING, LEVEL)] == local(2026, 6, 1, 9, 48)

    clock.at(local(2026, 6, 1, 9, 40))
    lifecycle.escalate(
        ticket, by=org.first_level_agent, to_team=org.rechenzentrum, handover=HANDOVER
    )

    first, second = LevelStay.objects.filter(ticket=ticket)
    assert (first.level, first.business_seconds) == (1, 40 * 60)
    assert (second.level, second.team, second.ended_at) == (2, org.rechenzentrum, None)
    # No target for level 2: the level clock stopped, met, and plans nothing.
    level = clock_of(ticket, LEVEL)
    assert level.status == ClockStatus.STOPPED and level.met
    assert not any(c == LEVEL for _, c in pending(ticket))

    clock.at(local(2026, 6, 1, 16, 0))
    lifecycle.resolve(ticket, by=org.second_level_agent, resolution="Netzteil getauscht")
    second.refresh_from_db()
    assert second.business_seconds == int(timedelta(hours=6, minutes=20).total_seconds())


def test_notes_and_assignments_cost_no_sla_queries(org: Org, policy: SlaPolicy) -> None:
    ticket = open_ticket(org)
    assert sla_queries(lambda: lifecycle.add_note(ticket, by=org.first_level_agent, body="x")) == []
    owner = org.first_level_agent
    assert sla_queries(lambda: lifecycle.assign(ticket, by=owner, owner=owner)) == []


def sla_queries(action: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        action()
    return [q["sql"] for q in captured.captured_queries if "sla_" in q["sql"]]


def test_a_reply_costs_the_same_sla_queries_whatever_the_history(
    org: Org, policy: SlaPolicy, clock: Clock
) -> None:
    ticket = open_ticket(org)

    def reply() -> object:
        return lifecycle.reply_to_customer(ticket, by=org.first_level_agent, text="Stand")

    # The first reply also stops the first-response clock: one update, one ledger entry.
    assert len(sla_queries(reply)) == 8
    second = sla_queries(reply)
    for _ in range(5):
        reply()
    # Load state, clocks, closing days; drop and plan timers; save the state.
    assert len(second) == len(sla_queries(reply)) == 6
