"""The portal's ticket pages: list, new ticket with attachments, public timeline, messages."""

from datetime import timedelta

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laufzettel.tickets import lifecycle
from laufzettel.tickets.lifecycle import Handover
from laufzettel.tickets.models import (
    Article,
    ArticleKind,
    Channel,
    EventKind,
    State,
    Ticket,
    TicketLink,
)
from tests.portal_personas import portal_admin_contact, portal_login

HOME = reverse("portal:home")


def email_ticket(contact, subject="Drucker druckt nicht") -> Ticket:
    return lifecycle.create_ticket(
        contact=contact, subject=subject, body="Seit heute früh.", channel=Channel.EMAIL
    )


def page(client, ticket) -> str:
    response = client.get(reverse("portal:ticket", args=[ticket.number]))
    assert response.status_code == 200
    return response.content.decode()


def test_open_a_ticket_with_attachments(client, org):
    portal_login(client, org.customer_a)
    response = client.post(
        reverse("portal:create_ticket"),
        {
            "topic": org.topic_tel.pk,
            "subject": "Headset rauscht",
            "description": "Bei jedem Gespräch ein Rauschen.",
            "files": [
                SimpleUploadedFile("foto.jpg", b"\xff\xd8jpegdata", content_type="image/jpeg"),
                SimpleUploadedFile("log.txt", b"rauschen 12:00", content_type="text/plain"),
            ],
        },
    )
    ticket = Ticket.objects.get(subject="Headset rauscht")
    assert response["Location"] == reverse("portal:ticket", args=[ticket.number])
    assert ticket.channel == Channel.PORTAL and ticket.contact == org.customer_a
    assert ticket.topic == org.topic_tel and ticket.state == State.NEW
    first = ticket.articles.get(kind=ArticleKind.PORTAL)
    assert sorted(a.name for a in first.attachments.all()) == ["foto.jpg", "log.txt"]
    text = page(client, ticket)
    assert "foto.jpg" in text and "Bei jedem Gespräch ein Rauschen." in text
    attachment = first.attachments.get(name="log.txt")
    download = client.get(reverse("portal:attachment", args=[ticket.number, attachment.pk]))
    assert b"".join(download.streaming_content) == b"rauschen 12:00"


def test_new_ticket_needs_subject_and_description(client, org):
    portal_login(client, org.customer_a)
    response = client.post(reverse("portal:create_ticket"), {"subject": "", "description": ""})
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_public_timeline_hides_internal_notes(client, org):
    ticket = email_ticket(org.customer_a)
    lifecycle.add_note(ticket, by=org.first_level_agent, body="Kunde ist schwierig")
    lifecycle.reply_to_customer(ticket, by=org.first_level_agent, text="Wir sind dran.")
    portal_login(client, org.customer_a)
    text = page(client, ticket)
    assert "Wir sind dran." in text and "Seit heute früh." in text
    assert "Kunde ist schwierig" not in text


def test_where_is_it_uses_the_public_team_name(client, org):
    ticket = email_ticket(org.customer_a)
    portal_login(client, org.customer_a)
    assert "has arrived and is with our customer service" in page(client, ticket)
    lifecycle.escalate(
        ticket,
        by=org.first_level_agent,
        to_team=org.rechenzentrum,
        handover=Handover("a", "b", "c", "d"),
    )
    text = page(client, ticket)
    assert "being worked on bei unseren Rechenzentrums-Spezialisten" in text
    assert "We will keep you informed" in text
    assert "Rechenzentrum (" not in text  # never the internal team name with its level


def test_answering_a_question_returns_the_ticket_to_the_agent(client, org):
    ticket = email_ticket(org.customer_a)
    lifecycle.ask_customer(ticket, by=org.first_level_agent, question="Welches Modell?")
    portal_login(client, org.customer_a)
    text = page(client, ticket)
    assert "waiting for your answer" in text and "Answer our question" in text
    response = client.post(
        reverse("portal:message", args=[ticket.number]),
        {"text": "HP LaserJet 4"},
        follow=True,
    )
    assert "Thank you for your answer" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN and ticket.owner == org.first_level_agent
    assert ticket.events.filter(kind=EventKind.CUSTOMER_REPLIED, actor_contact=org.customer_a)


def test_reopen_within_the_window_and_follow_up_after_it(client, org, settings):
    settings.LAUFZETTEL_FOLLOW_UP_DAYS = 7
    ticket = email_ticket(org.customer_a)
    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Treiber neu installiert.")
    portal_login(client, org.customer_a)
    text = page(client, ticket)
    assert "Your ticket was solved." in text and "Reopen with this message" in text
    response = client.post(
        reverse("portal:message", args=[ticket.number]), {"text": "Geht wieder nicht."}, follow=True
    )
    assert "Your ticket was reopened." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN

    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Jetzt aber.")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(
            reverse("portal:message", args=[ticket.number]), {"text": "Schon wieder!"}
        )
        follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response["Location"] == reverse("portal:ticket", args=[follow_up.number])
    assert TicketLink.objects.filter(source=follow_up, target=ticket).exists()
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED


def test_message_with_attachment_on_an_open_ticket(client, org):
    ticket = email_ticket(org.customer_a)
    portal_login(client, org.customer_a)
    client.post(
        reverse("portal:message", args=[ticket.number]),
        {"text": "Hier der Fehler.", "files": [SimpleUploadedFile("fehler.png", b"png")]},
    )
    article = Article.objects.get(ticket=ticket, body_text="Hier der Fehler.")
    assert article.kind == ArticleKind.PORTAL and article.attachments.get().name == "fehler.png"


def test_plain_contact_sees_own_tickets_portal_admin_the_organization(client, org):
    colleague = portal_admin_contact(org)
    own = email_ticket(org.customer_a, "Petras Ticket")
    colleagues = email_ticket(colleague, "Klaus' Ticket")
    other_org = email_ticket(org.customer_b, "Schmidts Ticket")

    portal_login(client, org.customer_a)
    text = client.get(HOME).content.decode()
    assert "Petras Ticket" in text and "Klaus' Ticket" not in text.replace("&#x27;", "'")
    assert "Schmidts Ticket" not in text
    assert client.get(reverse("portal:ticket", args=[colleagues.number])).status_code == 404

    portal_login(client, colleague, admin=True)
    text = client.get(HOME).content.decode().replace("&#x27;", "'")
    assert "Petras Ticket" in text and "Klaus' Ticket" in text and "Schmidts Ticket" not in text
    assert client.get(reverse("portal:ticket", args=[own.number])).status_code == 200
    assert client.get(reverse("portal:ticket", args=[other_org.number])).status_code == 404


def test_closed_tickets_only_on_request(client, org):
    ticket = email_ticket(org.customer_a, "Altes Ticket")
    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="ok")
    lifecycle.close_due_tickets(timezone.now() + timedelta(days=30))
    portal_login(client, org.customer_a)
    assert "Altes Ticket" not in client.get(HOME).content.decode()
    assert "Altes Ticket" in client.get(HOME + "?show=all").content.decode()


def test_query_counts_do_not_grow(client, org):
    account = portal_login(client, org.customer_a, admin=True)
    ticket = email_ticket(org.customer_a)

    def measure(url: str) -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few_home, few_ticket = measure(HOME), measure(reverse("portal:ticket", args=[ticket.number]))
    for i in range(15):
        email_ticket(org.customer_a, f"Mehr {i}")
        lifecycle.reply_to_customer(ticket, by=org.first_level_agent, text=f"Antwort {i}")
        lifecycle.record_customer_reply(ticket, contact=account.contact, body=f"Frage {i}")
    assert measure(HOME) == few_home
    assert measure(reverse("portal:ticket", args=[ticket.number])) == few_ticket
    # The ticket page reads one row more since it shows when the SLA timers write next.
    assert few_home <= 4 and few_ticket <= 7
