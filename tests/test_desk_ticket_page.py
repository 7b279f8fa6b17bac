"""The ticket page: routing slip on top, the whole timeline below, in a fixed number of queries."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laufzettel.outbox.delivery import deliver_due
from laufzettel.tickets import lifecycle
from laufzettel.tickets.lifecycle import Handover
from laufzettel.tickets.models import ArticleKind, Channel, Priority, Ticket


@pytest.fixture
def agent_client(client, org):
    client.force_login(org.second_level_agent)
    client.cookies["django_language"] = "en"  # assertions read English texts
    return client


def escalated_ticket(org) -> Ticket:
    anna = org.first_level_agent
    ticket = lifecycle.create_ticket(
        contact=org.customer_a,
        subject="NAS im Rack 12 nicht erreichbar",
        body="Seit 8 Uhr ist das NAS nicht erreichbar.",
        channel=Channel.PHONE,
        by=anna,
    )
    ticket = lifecycle.qualify(ticket, by=anna, topic=org.topic_rz, priority=Priority.HIGH)
    return lifecycle.escalate(
        ticket,
        by=anna,
        to_team=org.rechenzentrum,
        handover=Handover(
            initial_situation="Seit 8 Uhr ist das NAS nicht erreichbar.",
            affected_persons_text="Lagerverwaltung, 12 Plätze",
            solution_attempts="Ping auf NAS schlägt fehl.",
            measures_taken="Kunde hat NAS neu gestartet.",
            affected_contact_ids=[org.customer_a.pk],
            note="Bitte dringend, Lager steht.",
        ),
    )


def page(client, ticket: Ticket) -> str:
    response = client.get(reverse("desk:ticket", args=[ticket.number]))
    assert response.status_code == 200
    return response.content.decode()


def test_routing_slip(agent_client, org):
    ticket = escalated_ticket(org)
    text = page(agent_client, ticket)
    slip = text[text.index('class="routing-slip"') : text.index('class="timeline"')]
    for expected in [
        "NAS im Rack 12 nicht erreichbar",
        "Petra Müller",
        "+49 89 1234567",
        "petra.mueller@mueller-logistik.example",
        "Müller Logistik GmbH",
        "Rechenzentrum",
        "2nd level",
        "high",
        "open",
        "nobody (team queue)",
        "Seit 8 Uhr ist das NAS nicht erreichbar.",
        "Lagerverwaltung, 12 Plätze",
        "Ping auf NAS schlägt fehl.",
        "Kunde hat NAS neu gestartet.",
    ]:
        assert html.escape(expected) in slip, expected


def test_timeline_shows_articles_and_events_in_order(agent_client, org):
    ticket = escalated_ticket(org)
    lifecycle.add_note(ticket, by=org.second_level_agent, body="Switch-Port 12 geprüft.")
    text = page(agent_client, ticket)
    timeline = text[text.index('class="timeline"') :]
    in_order = [
        "created",  # event with the phone article
        "Seit 8 Uhr ist das NAS nicht erreichbar.",
        "Ihre Anfrage ist bei uns eingegangen",  # the acknowledgement mail, on its own
        "qualified",
        "new → open",
        "escalated",
        "Kundenbetreuung (1st level) → Rechenzentrum (2nd level)",
        "Bitte dringend, Lager steht.",  # the handover article inside the escalation
        "note added",
        "Switch-Port 12 geprüft.",
    ]
    positions = [timeline.find(html.escape(s)) for s in in_order]
    assert -1 not in positions, dict(zip(in_order, positions, strict=True))
    assert positions == sorted(positions)
    assert "internal note" in timeline and "visibility-internal" in timeline
    # Each article appears once, even when an event points to it.
    assert timeline.count("Bitte dringend, Lager steht.") == 1


def test_outgoing_mail_shows_its_delivery_state(agent_client, org, smtp_sink):
    ticket = escalated_ticket(org)
    text = page(agent_client, ticket)
    assert "delivery-queued" in text and "0 attempts" in text

    assert deliver_due().sent == 1
    assert smtp_sink.wait_for(1)
    text = page(agent_client, ticket)
    assert "delivery-sent" in text and "1 attempt" in text


def test_failing_mail_shows_the_smtp_answer(agent_client, org, smtp_sink):
    smtp_sink.respond = lambda message: "451 4.3.0 Mailbox temporarily unavailable"
    ticket = escalated_ticket(org)
    report = deliver_due()
    assert report.retrying == 1
    text = page(agent_client, ticket)
    assert "delivery-retrying" in text
    assert "Mailbox temporarily unavailable" in text


def test_resolution_and_links_on_the_slip(agent_client, org):
    ticket = escalated_ticket(org)
    other = lifecycle.create_ticket(
        contact=org.customer_a, subject="Zweites Problem", body="…", channel=Channel.EMAIL
    )
    lifecycle.link(ticket, other=other, by=org.second_level_agent)
    ticket = lifecycle.resolve(ticket, by=org.second_level_agent, resolution="Netzteil getauscht.")
    text = page(agent_client, ticket)
    assert "Netzteil getauscht." in text
    assert f'href="/tickets/{other.number}/"' in text
    assert "resolved" in text
    # A resolved ticket offers reopening, no escalation.
    assert reverse("desk:ticket_reopen", args=[ticket.number]) in text
    assert reverse("desk:ticket_escalate", args=[ticket.number]) not in text


def test_page_language_and_no_inline_code(client, org):
    ticket = escalated_ticket(org)
    client.force_login(org.second_level_agent)
    text = page(client, ticket)
    assert '<html lang="de">' in text  # German is the default
    client.cookies["django_language"] = "en"
    response = client.get(reverse("desk:ticket", args=[ticket.number]))
    assert '<html lang="en">' in response.content.decode()
    # The CSP forbids inline code: the page must not depend on any.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    text = response.content.decode()
    # Scripts only as files of our own (htmx), never inline; no inline styles; no hx-on (eval).
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", text, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert " style=" not in text and "<style" not in text and "hx-on" not in text
    assert "includeIndicatorStyles" in text  # htmx must not inject its <style> either


def grow_timeline(ticket: Ticket, org, rounds: int) -> None:
    bernd = org.second_level_agent
    for i in range(rounds):
        lifecycle.add_note(ticket, by=bernd, body=f"Notiz {i}")
        lifecycle.add_note(ticket, by=bernd, body=f"Anruf {i}", kind=ArticleKind.PHONE)
        lifecycle.reply_to_customer(ticket, by=bernd, text=f"Zwischenstand {i}")


def test_query_count_does_not_grow_with_the_timeline(agent_client, org):
    small, large = escalated_ticket(org), escalated_ticket(org)
    grow_timeline(small, org, 1)  # 3 more articles
    grow_timeline(large, org, 10)  # 30 more articles
    lifecycle.link(small, other=large, by=org.second_level_agent)  # one link on each side
    page(agent_client, small)  # warm up session and caches

    with CaptureQueriesContext(connection) as small_queries:
        small_text = page(agent_client, small)
    with CaptureQueriesContext(connection) as large_queries:
        large_text = page(agent_client, large)

    assert large_text.count('class="entry') > small_text.count('class="entry') + 25
    assert len(large_queries) == len(small_queries), [q["sql"] for q in large_queries]
    assert len(small_queries) <= 25
