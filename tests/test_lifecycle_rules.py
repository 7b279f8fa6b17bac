"""The rules of the life cycle: what is refused, with which message, and what is recorded."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone, translation

from laufzettel.outbox.models import MailKind, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.lifecycle import (
    Handover,
    IncompleteInput,
    InvalidTarget,
    StaleTicket,
    TransitionNotAllowed,
)
from laufzettel.tickets.models import (
    ArticleKind,
    Channel,
    Event,
    EventKind,
    LinkKind,
    State,
    Ticket,
    TicketLink,
)
from tests.conftest import make_contact

SRC = Path(__file__).resolve().parent.parent / "src" / "laufzettel"


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English source form; German is checked on its own below."""
    with translation.override("en"):
        yield


FULL_HANDOVER = Handover(
    initial_situation="Telefonanlage startet neu.",
    affected_persons_text="Zentrale",
    solution_attempts="Neustart",
    measures_taken="Keine",
)


def new_ticket(org, contact=None, **kwargs):
    return lifecycle.create_ticket(
        contact=contact or org.customer_a,
        subject=kwargs.pop("subject", "Telefonanlage gestört"),
        body=kwargs.pop("body", "Seit heute Morgen keine externen Gespräche."),
        channel=kwargs.pop("channel", Channel.PHONE),
        by=kwargs.pop("by", org.first_level_agent),
        **kwargs,
    )


def test_only_the_lifecycle_module_assigns_ticket_state():
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "lifecycle.py" or "migrations" in path.parts:
            continue
        text = path.read_text()
        for lineno, line in enumerate(text.splitlines(), 1):
            if re.search(r"\.state\s*=[^=]", line) or re.search(r"update\([^)]*\bstate=", line):
                offenders.append(f"{path.relative_to(SRC)}:{lineno}: {line.strip()}")
    assert offenders == []


def test_created_ticket_starts_at_intake_team_with_acknowledgement(org):
    ticket = new_ticket(org)
    assert ticket.number == str(10000 + ticket.pk)
    assert Ticket.objects.by_number(ticket.number).get() == ticket
    assert Ticket.objects.by_number("abc").count() == 0
    assert ticket.team == org.first_level and ticket.organization == org.org_a
    mail = OutboundEmail.objects.get(ticket=ticket)
    assert mail.kind == MailKind.ACKNOWLEDGEMENT
    assert ticket.number in mail.subject and ticket.number in mail.body_text
    assert mail.headers["Auto-Submitted"] == "auto-generated"


def test_acknowledgement_in_contacts_language(org):
    english = make_contact("John Smith", org.org_a, "john@example.com", language="en")
    ticket = new_ticket(org, contact=english)
    mail = OutboundEmail.objects.get(ticket=ticket)
    assert mail.subject.startswith("We have received your request")
    assert "Hello John Smith" in mail.body_text


def test_contact_without_email_gets_no_mail_and_cannot_be_asked(org):
    caller = make_contact("Unbekannter Anrufer", None, phone="+49 171 5555555")
    ticket = new_ticket(org, contact=caller)
    assert not OutboundEmail.objects.filter(ticket=ticket).exists()
    with pytest.raises(IncompleteInput, match="no email address"):
        lifecycle.ask_customer(ticket, by=org.first_level_agent, question="Welche Nummer?")
    assert Ticket.objects.get(pk=ticket.pk).state == State.NEW


def test_escalation_needs_a_complete_handover(org):
    ticket = new_ticket(org)
    incomplete = Handover(
        initial_situation="x", affected_persons_text="y", solution_attempts="", measures_taken="z"
    )
    with pytest.raises(IncompleteInput, match="solution attempts"):
        lifecycle.escalate(
            ticket, by=org.first_level_agent, to_team=org.telefonie, handover=incomplete
        )
    nobody = Handover(
        initial_situation="x", affected_persons_text="", solution_attempts="y", measures_taken="z"
    )
    with pytest.raises(IncompleteInput, match="affected persons"):
        lifecycle.escalate(ticket, by=org.first_level_agent, to_team=org.telefonie, handover=nobody)
    # A refused change leaves nothing behind.
    ticket.refresh_from_db()
    assert ticket.team == org.first_level and ticket.solution_attempts == ""
    assert ticket.events.count() == 1 and not ticket.articles.filter(kind="handover").exists()


def test_escalation_goes_up_and_hand_back_goes_down(org):
    ticket = new_ticket(org)
    with pytest.raises(InvalidTarget, match="higher level"):
        lifecycle.escalate(
            ticket, by=org.first_level_agent, to_team=org.first_level, handover=FULL_HANDOVER
        )
    ticket = lifecycle.escalate(
        ticket, by=org.first_level_agent, to_team=org.telefonie, handover=FULL_HANDOVER
    )
    with pytest.raises(InvalidTarget, match="lower level"):
        lifecycle.hand_back(ticket, by=org.other_team_agent, to_team=org.rechenzentrum, note="x")
    with pytest.raises(IncompleteInput):
        lifecycle.hand_back(ticket, by=org.other_team_agent, to_team=org.first_level, note="  ")
    ticket = lifecycle.hand_back(
        ticket, by=org.other_team_agent, to_team=org.first_level, note="Kein Telefonie-Thema."
    )
    assert (ticket.team, ticket.state) == (org.first_level, State.OPEN)
    event = ticket.events.get(kind=EventKind.HANDED_BACK)
    assert event.changes["team"] == [str(org.telefonie), str(org.first_level)]
    assert event.changes["level"] == [2, 1]
    assert event.article.body_text == "Kein Telefonie-Thema."


def test_illegal_transitions_raise_readable_errors(org):
    ticket = new_ticket(org)
    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Erledigt.")
    with pytest.raises(TransitionNotAllowed) as raised:
        lifecycle.escalate(
            ticket, by=org.first_level_agent, to_team=org.telefonie, handover=FULL_HANDOVER
        )
    ticket.refresh_from_db()
    assert str(raised.value) == (
        f"Ticket {ticket.number} cannot be escalated while it is resolved."
    )
    with pytest.raises(TransitionNotAllowed):
        lifecycle.ask_customer(ticket, by=org.first_level_agent, question="?")
    with pytest.raises(TransitionNotAllowed):
        lifecycle.resolve(ticket, by=org.first_level_agent, resolution="nochmal")
    with pytest.raises(IncompleteInput, match="resolution"):
        lifecycle.resolve(new_ticket(org), by=org.first_level_agent, resolution=" ")


def test_domain_errors_are_translated(org):
    ticket = new_ticket(org)
    with translation.override("de"), pytest.raises(IncompleteInput) as raised:
        lifecycle.resolve(ticket, by=org.first_level_agent, resolution="")
    assert str(raised.value) == "Die Lösung ist erforderlich."


def test_stale_version_is_refused(org):
    ticket = new_ticket(org)
    seen = ticket.version
    lifecycle.qualify(ticket, by=org.first_level_agent, topic=org.topic_tel, expected_version=seen)
    with pytest.raises(StaleTicket, match="changed by someone else"):
        lifecycle.qualify(
            ticket, by=org.second_level_agent, topic=org.topic_rz, expected_version=seen
        )
    ticket.refresh_from_db()
    assert ticket.topic == org.topic_tel and ticket.version == seen + 1


def test_assign_only_to_team_members(org):
    ticket = new_ticket(org)
    with pytest.raises(InvalidTarget, match="not a member"):
        lifecycle.assign(ticket, by=org.first_level_agent, owner=org.second_level_agent)
    ticket = lifecycle.assign(ticket, by=org.first_level_agent, owner=org.first_level_agent)
    assert ticket.owner == org.first_level_agent
    ticket = lifecycle.assign(ticket, by=org.first_level_agent, owner=None)
    assert ticket.owner is None


def test_qualify_records_changes_and_affected_contacts(org):
    ticket = new_ticket(org)
    colleague = make_contact("Klaus Berg", org.org_a)
    ticket = lifecycle.qualify(
        ticket,
        by=org.first_level_agent,
        topic=org.topic_tel,
        priority="high",
        affected_contact_ids=[org.customer_a.pk, colleague.pk],
    )
    event = ticket.events.get(kind=EventKind.QUALIFIED)
    assert event.changes["topic"] == [None, "Telefonie"]
    assert event.changes["priority"] == ["normal", "high"]
    assert event.changes["affected_contacts"] == ["Klaus Berg", "Petra Müller"]
    assert (event.from_state, event.to_state) == (State.NEW, State.OPEN)
    ticket = lifecycle.qualify(ticket, by=org.first_level_agent, measures_taken="Port geprüft")
    assert ticket.events.last().kind == EventKind.UPDATED
    with pytest.raises(InvalidTarget):
        lifecycle.qualify(ticket, by=org.first_level_agent, affected_contact_ids=[999999])


def test_qualify_without_changes_records_nothing(org):
    ticket = lifecycle.qualify(new_ticket(org), by=org.first_level_agent, topic=org.topic_tel)
    version, events = ticket.version, ticket.events.count()
    ticket = lifecycle.qualify(
        ticket,
        by=org.first_level_agent,
        topic=org.topic_tel,
        priority="normal",
        affected_contact_ids=[],
        measures_taken="",
    )
    assert (ticket.version, ticket.events.count()) == (version, events)


def test_no_intake_team_is_a_readable_error(db):
    contact = make_contact("Petra Müller", None, "p@example.com")
    with pytest.raises(InvalidTarget, match="No first-level team"):
        lifecycle.create_ticket(contact=contact, subject="x", body="y", channel=Channel.EMAIL)


def test_reply_after_follow_up_window_opens_linked_ticket(org, settings):
    settings.LAUFZETTEL_FOLLOW_UP_DAYS = 7
    ticket = new_ticket(org)
    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Erledigt.")
    # The worker has not closed it yet; the reply still counts as after the window.
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        landed = lifecycle.record_customer_reply(
            ticket, contact=org.customer_a, body="Wieder kaputt.", subject="Re: Telefonanlage"
        )
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED
    assert landed.pk != ticket.pk and landed.state == State.NEW
    assert TicketLink.objects.get(source=landed, target=ticket).kind == LinkKind.FOLLOW_UP
    assert ticket.events.last().changes == {"follow_up": landed.number}
    assert landed.articles.first().body_text == "Wieder kaputt."


def test_customer_reply_while_open_only_adds_the_message(org):
    ticket = new_ticket(org)
    ticket = lifecycle.record_customer_reply(ticket, contact=org.customer_a, body="Noch da?")
    assert ticket.state == State.NEW
    event = ticket.events.last()
    assert (event.kind, event.from_state, event.article.kind) == (
        EventKind.CUSTOMER_REPLIED,
        "",
        ArticleKind.EMAIL_IN,
    )


def test_merge_and_replies_to_merged_ticket(org):
    original = new_ticket(org, subject="Internet weg")
    duplicate = new_ticket(org, subject="Kein Internet")
    with pytest.raises(InvalidTarget):
        lifecycle.merge(original, into=original, by=org.first_level_agent)
    lifecycle.merge(duplicate, into=original, by=org.first_level_agent)
    duplicate.refresh_from_db()
    assert duplicate.state == State.MERGED and duplicate.merged_into == original
    landed = lifecycle.record_customer_reply(duplicate, contact=org.customer_a, body="Und?")
    assert landed.pk == original.pk
    with pytest.raises(TransitionNotAllowed):
        lifecycle.merge(duplicate, into=original, by=org.first_level_agent)


def test_link_is_recorded_once(org):
    a, b = new_ticket(org), new_ticket(org)
    lifecycle.link(a, other=b, by=org.first_level_agent)
    lifecycle.link(a, other=b, by=org.first_level_agent)
    assert TicketLink.objects.filter(source=a, target=b).count() == 1
    assert a.events.filter(kind=EventKind.LINKED).count() == 1
    with pytest.raises(InvalidTarget):
        lifecycle.link(a, other=a, by=org.first_level_agent)


def test_every_change_writes_exactly_one_event_and_bumps_version(org):
    ticket = new_ticket(org)
    steps = [
        lambda t: lifecycle.qualify(t, by=org.first_level_agent, topic=org.topic_tel),
        lambda t: lifecycle.add_note(t, by=org.first_level_agent, body="Rückruf vereinbart"),
        lambda t: lifecycle.wait_for_vendor(t, by=org.first_level_agent),
        lambda t: lifecycle.record_vendor_reply(t, body="Patch kommt."),
        lambda t: lifecycle.reply_to_customer(t, by=org.first_level_agent, text="Patch kommt."),
        lambda t: lifecycle.resolve(t, by=org.first_level_agent, resolution="Patch installiert."),
        lambda t: lifecycle.reopen(t, by=org.first_level_agent, reason="Doch nicht."),
    ]
    for step in steps:
        before_events = Event.objects.filter(ticket=ticket).count()
        before_version = Ticket.objects.get(pk=ticket.pk).version
        step(ticket)
        assert Event.objects.filter(ticket=ticket).count() == before_events + 1
        assert Ticket.objects.get(pk=ticket.pk).version == before_version + 1


def test_events_are_append_only(org):
    event = new_ticket(org).events.get()
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
