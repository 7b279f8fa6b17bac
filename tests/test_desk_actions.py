"""Every action on the ticket page, through HTTP: it works, lands on the timeline, and a stale or
illegal one is refused with a readable message and changes nothing."""

import html

import pytest
from django.urls import reverse

from laufzettel.outbox.models import MailKind, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import ArticleKind, Channel, EventKind, State, Ticket
from tests.conftest import make_contact


@pytest.fixture
def ticket(org) -> Ticket:
    return lifecycle.create_ticket(
        contact=org.customer_a,
        subject="NAS im Rack 12 nicht erreichbar",
        body="Seit 8 Uhr ist das NAS nicht erreichbar.",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )


def login(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"  # assertions read English texts


def act(client, ticket: Ticket, action: str, **data):
    """POST an action form as the page would (with the current version unless given)."""
    if "version" not in data:
        ticket.refresh_from_db()
        data["version"] = ticket.version
    response = client.post(reverse(f"desk:ticket_{action}", args=[ticket.number]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:ticket", args=[ticket.number])
    page = client.get(response["Location"])
    ticket.refresh_from_db()
    return page.content.decode()


def timeline(page: str) -> str:
    return page[page.index('class="timeline"') :]


def assert_message(page: str, text: str) -> None:
    messages = page[page.index('class="messages"') : page.index("<main>")]
    assert html.escape(text) in messages, messages


def handover(**extra):
    return {
        "initial_situation": "Seit 8 Uhr ist das NAS nicht erreichbar.",
        "affected_persons_text": "Lagerverwaltung",
        "solution_attempts": "Ping schlägt fehl.",
        "measures_taken": "NAS neu gestartet.",
        "note": "Bitte dringend.",
        **extra,
    }


def test_qualify(client, org, ticket):
    login(client, org.first_level_agent)
    page = act(
        client,
        ticket,
        "qualify",
        subject="NAS Rack 12 offline",
        topic=org.topic_rz.pk,
        priority="urgent",
        organization=org.org_a.pk,
        initial_situation="NAS offline seit 8 Uhr.",
        affected_contacts=[org.customer_a.pk],
        affected_persons_text="Lager",
        solution_attempts="Ping.",
        measures_taken="Neustart.",
    )
    assert_message(page, "The details were saved.")
    assert ticket.state == State.OPEN
    assert (ticket.subject, ticket.topic, ticket.priority) == (
        "NAS Rack 12 offline",
        org.topic_rz,
        "urgent",
    )
    assert list(ticket.affected_contacts.all()) == [org.customer_a]
    assert (ticket.solution_attempts, ticket.measures_taken) == ("Ping.", "Neustart.")
    assert "qualified" in timeline(page) and "new → open" in timeline(page)
    assert "NAS Rack 12 offline" in timeline(page)  # the subject change is in the event


def test_assign_and_take(client, org, ticket):
    login(client, org.first_level_agent)
    page = act(client, ticket, "assign", owner=org.first_level_agent.pk)  # the "Take it" button
    assert_message(page, "The owner was changed.")
    assert ticket.owner == org.first_level_agent
    assert "assigned" in timeline(page)
    page = act(client, ticket, "assign", owner="")
    assert ticket.owner is None
    # Only members of the ticket's team can own it: the life cycle says so.
    page = act(client, ticket, "assign", owner=org.second_level_agent.pk)
    assert_message(page, "bernd is not a member of team Kundenbetreuung.")
    assert ticket.owner is None


def test_escalate_form_is_prefilled_from_the_routing_slip(client, org, ticket):
    ticket = lifecycle.qualify(
        ticket,
        by=org.first_level_agent,
        topic=org.topic_rz,
        solution_attempts="Ping schlägt fehl.",
        measures_taken="NAS neu gestartet.",
        affected_persons_text="Lagerverwaltung",
    )
    login(client, org.first_level_agent)
    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    form = page[page.index(f'action="/tickets/{ticket.number}/escalate/"') :]
    form = form[: form.index("</form>")]
    assert "Seit 8 Uhr ist das NAS nicht erreichbar.</textarea>" in form
    assert "Ping schlägt fehl.</textarea>" in form
    assert "NAS neu gestartet.</textarea>" in form
    assert "Lagerverwaltung</textarea>" in form
    # The topic's specialist team is preselected; only higher levels are offered.
    assert f'<option value="{org.rechenzentrum.pk}" selected>' in form
    assert f'<option value="{org.first_level.pk}"' not in form
    assert f'name="version" value="{ticket.version}"' in form


def test_escalate(client, org, ticket):
    login(client, org.first_level_agent)
    page = act(client, ticket, "escalate", to_team=org.rechenzentrum.pk, **handover())
    assert_message(page, "The ticket was escalated.")
    assert (ticket.team, ticket.state, ticket.owner) == (org.rechenzentrum, State.OPEN, None)
    handover_article = ticket.articles.get(kind=ArticleKind.HANDOVER)
    assert "Bitte dringend." in handover_article.body_text
    assert "escalated" in timeline(page) and "Bitte dringend." in timeline(page)


def test_escalate_to_the_vendor_waits_for_it(client, org, ticket):
    ticket = lifecycle.escalate(
        ticket,
        by=org.first_level_agent,
        to_team=org.rechenzentrum,
        handover=lifecycle.Handover(**{k: v for k, v in handover().items()}),
    )
    login(client, org.second_level_agent)
    page = act(client, ticket, "escalate", to_team=org.vendor.pk, **handover())
    assert ticket.state == State.WAITING_FOR_VENDOR and ticket.team == org.vendor
    assert OutboundEmail.objects.filter(kind=MailKind.VENDOR_HANDOVER).count() == 1
    assert "support@vendor.example" in timeline(page)


def test_escalating_sideways_is_refused_readably(client, org, ticket):
    ticket = lifecycle.escalate(
        ticket,
        by=org.first_level_agent,
        to_team=org.rechenzentrum,
        handover=lifecycle.Handover(**handover()),
    )
    login(client, org.second_level_agent)
    events = ticket.events.count()
    page = act(client, ticket, "escalate", to_team=org.telefonie.pk, **handover())
    assert_message(page, "Escalation goes to a higher level: Telefonie is not above level 2.")
    assert ticket.team == org.rechenzentrum and ticket.events.count() == events


def test_escalation_needs_the_affected_persons(client, org, ticket):
    login(client, org.first_level_agent)
    page = act(
        client,
        ticket,
        "escalate",
        to_team=org.rechenzentrum.pk,
        **handover(affected_persons_text=""),
    )
    assert_message(page, "The affected persons are required.")
    assert ticket.team == org.first_level


def test_hand_back(client, org, ticket):
    ticket = lifecycle.escalate(
        ticket,
        by=org.first_level_agent,
        to_team=org.rechenzentrum,
        handover=lifecycle.Handover(**handover()),
    )
    login(client, org.second_level_agent)
    page = act(client, ticket, "hand_back", to_team=org.first_level.pk, note="Ist ein Kabel.")
    assert_message(page, "The ticket was handed back.")
    assert ticket.team == org.first_level
    assert "handed back" in timeline(page) and "Ist ein Kabel." in timeline(page)


def test_ask_customer(client, org, ticket):
    login(client, org.first_level_agent)
    page = act(client, ticket, "ask", question="Leuchtet die Status-LED?")
    assert_message(page, "The question was sent; the ticket waits for the customer.")
    assert ticket.state == State.WAITING_FOR_CUSTOMER
    assert OutboundEmail.objects.filter(kind=MailKind.CLARIFICATION).count() == 1
    assert "Leuchtet die Status-LED?" in timeline(page)
    assert "customer asked" in timeline(page) and "delivery-queued" in timeline(page)


def test_ask_without_email_is_refused_readably(client, org):
    caller = make_contact("Nur Telefon", org.org_a, phone="0171 1111111")
    ticket = lifecycle.create_ticket(
        contact=caller, subject="Frage", body="…", channel=Channel.PHONE, by=org.first_level_agent
    )
    login(client, org.first_level_agent)
    page = act(client, ticket, "ask", question="Wie ist Ihre Durchwahl?")
    assert_message(page, "The contact has no email address: ask by phone and log a phone note.")
    assert ticket.state == State.NEW


def test_wait_for_vendor(client, org, ticket):
    login(client, org.first_level_agent)
    page = act(client, ticket, "wait_for_vendor", note="Ticket beim Hersteller: 4711")
    assert_message(page, "The ticket waits for the vendor.")
    assert ticket.state == State.WAITING_FOR_VENDOR
    assert "Ticket beim Hersteller: 4711" in timeline(page)


def test_reply_to_customer(client, org, ticket):
    login(client, org.first_level_agent)
    page = act(client, ticket, "reply", text="Wir schicken einen Techniker.")
    assert_message(page, "The reply was sent.")
    mail = OutboundEmail.objects.get(kind=MailKind.REPLY)
    assert "Wir schicken einen Techniker." in mail.body_text
    assert "Wir schicken einen Techniker." in timeline(page)
    assert "replied to customer" in timeline(page)


@pytest.mark.parametrize(("kind", "label"), [("note", "internal note"), ("phone", "phone note")])
def test_note_and_phone_note(client, org, ticket, kind, label):
    login(client, org.first_level_agent)
    page = act(client, ticket, "note", kind=kind, body="Kunde ruft um 10 zurück.")
    assert_message(page, "The note was added.")
    article = ticket.articles.get(body_text="Kunde ruft um 10 zurück.")
    assert article.kind == kind and article.author_user == org.first_level_agent
    assert label in timeline(page) and "Kunde ruft um 10 zurück." in timeline(page)


def test_resolve_and_reopen(client, org, ticket):
    login(client, org.first_level_agent)
    page = act(client, ticket, "resolve", resolution="Netzteil getauscht.")
    assert_message(page, "The ticket was resolved.")
    assert ticket.state == State.RESOLVED and ticket.resolution == "Netzteil getauscht."
    assert OutboundEmail.objects.filter(kind=MailKind.RESOLUTION).count() == 1
    assert "Netzteil getauscht." in timeline(page)

    page = act(client, ticket, "reopen", reason="Kunde meldet: geht wieder nicht.")
    assert_message(page, "The ticket was reopened.")
    assert ticket.state == State.OPEN
    assert "reopened" in timeline(page) and "geht wieder nicht" in timeline(page)


# --- refusals ----------------------------------------------------------------------------------

STALE_CASES = {
    "qualify": {"subject": "Neu", "priority": "low"},
    "assign": {"owner": ""},
    "escalate": {"to_team": "rechenzentrum", **handover()},
    "ask": {"question": "Noch da?"},
    "wait_for_vendor": {"note": ""},
    "reply": {"text": "Hallo"},
    "resolve": {"resolution": "Erledigt."},
}


@pytest.mark.parametrize("action", STALE_CASES)
def test_stale_form_is_refused_and_changes_nothing(client, org, ticket, action):
    login(client, org.first_level_agent)
    seen_version = ticket.version  # the agent opened the page ...
    # ... and meanwhile a colleague saved the ticket.
    ticket = lifecycle.qualify(ticket, by=org.first_level_agent, topic=org.topic_rz)
    data = dict(STALE_CASES[action])
    if data.get("to_team") == "rechenzentrum":
        data["to_team"] = org.rechenzentrum.pk
    before = (ticket.version, ticket.state, ticket.team_id, ticket.subject, ticket.owner_id)
    events, mails = ticket.events.count(), OutboundEmail.objects.count()

    page = act(client, ticket, action, version=seen_version, **data)

    assert_message(
        page,
        f"Ticket {ticket.number} was changed by someone else in the meantime. "
        "Reload it and check before you save again.",
    )
    assert (ticket.version, ticket.state, ticket.team_id, ticket.subject, ticket.owner_id) == before
    assert ticket.events.count() == events and OutboundEmail.objects.count() == mails


def test_stale_reopen_is_refused(client, org, ticket):
    login(client, org.first_level_agent)
    ticket = lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Erledigt.")
    seen_version = ticket.version
    lifecycle.add_note(ticket, by=org.first_level_agent, body="Kunde bestätigt.")
    ticket.refresh_from_db()
    page = act(client, ticket, "reopen", version=seen_version - 1, reason="Doch nicht.")
    assert_message(page, "was changed by someone else in the meantime")
    assert ticket.state == State.RESOLVED


def test_note_on_an_older_page_is_kept(client, org, ticket):
    # A note overwrites nothing, so a note written on an older page is still added.
    login(client, org.first_level_agent)
    seen_version = ticket.version
    lifecycle.qualify(ticket, by=org.first_level_agent, topic=org.topic_rz)
    page = act(client, ticket, "note", version=seen_version, kind="note", body="Später Gedanke")
    assert_message(page, "The note was added.")
    assert ticket.events.filter(kind=EventKind.NOTE_ADDED).count() == 1


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("reopen", {"reason": "Warum nicht"}, "cannot be reopened while it is new."),
        (
            "hand_back",
            {"to_team": "first_level", "note": "x"},
            "Handing back goes to a lower level",
        ),
    ],
)
def test_illegal_transition_shows_the_readable_error(client, org, ticket, action, data, message):
    login(client, org.first_level_agent)
    if data.get("to_team") == "first_level":
        data = {**data, "to_team": org.first_level.pk}
    events = ticket.events.count()
    page = act(client, ticket, action, **data)
    assert_message(page, message)
    assert ticket.state == State.NEW and ticket.events.count() == events


def test_action_on_a_resolved_ticket_is_refused(client, org, ticket):
    login(client, org.first_level_agent)
    ticket = lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Erledigt.")
    page = act(client, ticket, "escalate", to_team=org.rechenzentrum.pk, **handover())
    assert_message(page, f"Ticket {ticket.number} cannot be escalated while it is resolved.")
    assert ticket.state == State.RESOLVED and ticket.team == org.first_level


def test_missing_input_is_named(client, org, ticket):
    login(client, org.first_level_agent)
    version = ticket.version
    page = act(client, ticket, "resolve", resolution="")
    assert_message(page, "Resolution: This field is required.")
    assert ticket.state == State.NEW and ticket.version == version
    # A form without its version is not applied blindly.
    page = act(client, ticket, "resolve", resolution="ok", version="")
    assert_message(page, "This form is incomplete: reload the ticket and try again.")
    assert ticket.state == State.NEW
