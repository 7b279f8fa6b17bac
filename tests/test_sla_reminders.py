"""Unanswered questions: reminded after N business days, resolved with notice after M more."""

from datetime import datetime

import pytest

from laufzettel.outbox.models import MailKind
from laufzettel.sla.models import SlaLedgerEntry, TimerKind
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import State, Ticket
from tests.conftest import Org
from tests.test_sla_support import Clock, local, mail_kinds, mails, open_ticket, pending, sweep

pytest_plugins = ["tests.test_sla_support"]


@pytest.fixture(autouse=True)
def _reminder_settings(settings: object) -> None:
    settings.LAUFZETTEL_SLA_REMINDER_DAYS = 3  # type: ignore[attr-defined]
    settings.LAUFZETTEL_SLA_AUTO_RESOLVE_DAYS = 5  # type: ignore[attr-defined]
    settings.LAUFZETTEL_SLA_AUTO_RESOLVE = True  # type: ignore[attr-defined]
    settings.LAUFZETTEL_SLA_HOLIDAY_STATE = "BY"  # type: ignore[attr-defined]


def asked(org: Org, clock: Clock, when: datetime) -> Ticket:
    clock.at(when)
    ticket = open_ticket(org)
    lifecycle.ask_customer(ticket, by=org.first_level_agent, question="Welche IP hat RZ-7?")
    return ticket


def test_reminder_then_resolution_with_notice(org: Org, clock: Clock) -> None:
    # No SLA policy at all: the default calendar (Mon-Fri 08-17, Bavarian holidays) applies.
    ticket = asked(org, clock, local(2026, 6, 12, 15, 0))  # Friday
    # 3 business days of 9 hours: 2 h Friday, Monday, Tuesday, 7 h Wednesday.
    assert pending(ticket) == {(TimerKind.REMINDER, ""): local(2026, 6, 17, 15, 0)}

    sweep(clock, local(2026, 6, 17, 14, 59))
    assert mails(ticket, MailKind.CLARIFICATION_REMINDER) == []
    sweep(clock, local(2026, 6, 17, 15, 0))
    (reminder,) = mails(ticket, MailKind.CLARIFICATION_REMINDER)
    assert reminder.to == ["petra.mueller@mueller-logistik.example"]
    assert reminder.subject.startswith("Erinnerung: Rückfrage zu Ihrer Anfrage")
    assert "am 12.06.2026 haben wir Ihnen" in reminder.body_text
    assert "Welche IP hat RZ-7?" in reminder.body_text
    assert "innerhalb von 5 Werktagen" in reminder.body_text
    assert pending(ticket) == {(TimerKind.CLARIFICATION_EXPIRED, ""): local(2026, 6, 24, 15, 0)}

    sweep(clock, local(2026, 6, 24, 15, 0))
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED
    assert ticket.resolved_by.username == "laufzettel-system"
    assert mail_kinds(ticket) == [
        MailKind.ACKNOWLEDGEMENT,
        MailKind.CLARIFICATION,
        MailKind.CLARIFICATION_REMINDER,
        MailKind.RESOLUTION,
    ]
    resolution = mails(ticket, MailKind.RESOLUTION)[0]
    assert "keine Antwort" in resolution.body_text or "did not receive" in resolution.body_text
    actions = list(SlaLedgerEntry.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == ["reminded", "auto_resolved"]
    assert pending(ticket) == {}
    # Nothing more happens, however often the worker looks.
    sweep(clock, local(2026, 7, 24, 15, 0))
    assert len(mail_kinds(ticket)) == 4


def test_an_answer_cancels_reminder_and_resolution(org: Org, clock: Clock) -> None:
    ticket = asked(org, clock, local(2026, 6, 12, 15, 0))
    sweep(clock, local(2026, 6, 17, 15, 0))
    clock.at(local(2026, 6, 18, 9, 0))
    lifecycle.record_customer_reply(ticket, contact=org.customer_a, body="10.0.0.7")
    sweep(clock, local(2026, 7, 30, 9, 0))
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN
    assert len(mails(ticket, MailKind.CLARIFICATION_REMINDER)) == 1
    assert mails(ticket, MailKind.RESOLUTION) == []


def test_configured_to_stay_open(org: Org, clock: Clock, settings: object) -> None:
    settings.LAUFZETTEL_SLA_AUTO_RESOLVE = False  # type: ignore[attr-defined]
    ticket = asked(org, clock, local(2026, 6, 12, 15, 0))
    sweep(clock, local(2026, 6, 17, 15, 0))
    assert "schließen wir" not in mails(ticket, MailKind.CLARIFICATION_REMINDER)[0].body_text
    sweep(clock, local(2026, 7, 30, 15, 0))
    ticket.refresh_from_db()
    assert ticket.state == State.WAITING_FOR_CUSTOMER
    assert mail_kinds(ticket).count(MailKind.RESOLUTION) == 0
    assert list(SlaLedgerEntry.objects.filter(ticket=ticket).values_list("action", flat=True)) == [
        "reminded",
        "clar_expired",
    ]


def test_reminder_over_a_holiday_and_the_autumn_clock_change(org: Org, clock: Clock) -> None:
    # Thursday 29 Oct 2026 10:00 CET; Sunday 1 Nov (All Saints) is a Sunday anyway, but the
    # clocks went back on 25 Oct. Thursday + 3 business days = Tuesday 3 Nov 10:00.
    ticket = asked(org, clock, local(2026, 10, 29, 10, 0))
    assert pending(ticket) == {(TimerKind.REMINDER, ""): local(2026, 11, 3, 10, 0)}
    # Across the DST change itself: Friday 23 Oct 10:00 CEST → Wednesday 28 Oct 10:00 CET.
    other = asked(org, clock, local(2026, 10, 23, 10, 0))
    assert pending(other) == {(TimerKind.REMINDER, ""): local(2026, 10, 28, 10, 0)}
    # Corpus Christi (Thursday 4 June) in Bavaria: Tuesday + 3 = Monday.
    third = asked(org, clock, local(2026, 6, 2, 10, 0))
    assert pending(third) == {(TimerKind.REMINDER, ""): local(2026, 6, 8, 10, 0)}
