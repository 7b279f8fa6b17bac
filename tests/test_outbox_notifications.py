"""The customer mails of the life cycle: language, content, headers, and the same transaction."""

from email.message import EmailMessage

import pytest
from django.db import transaction

from laufzettel.outbox.delivery import deliver_due
from laufzettel.outbox.models import DeliveryState, MailKind, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Article, ArticleKind, Channel, State, Ticket
from tests.conftest import Org, make_contact
from tests.smtp_sink import SmtpSink


def phone_ticket(org: Org, contact: object = None, subject: str = "Drucker im 2. OG") -> Ticket:
    return lifecycle.create_ticket(
        contact=contact or org.customer_a,
        subject=subject,
        body="Der Drucker meldet Papierstau, obwohl kein Papier klemmt.",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )


def deliver(sink: SmtpSink, expected: int) -> list[EmailMessage]:
    report = deliver_due()
    assert (report.sent, report.retrying, report.failed) == (expected, 0, 0), report.errors
    return list(sink.messages)


def subject(message: EmailMessage) -> str:
    # Django 5.2 folds an encoded subject right after "Subject:", and Python's parser keeps the
    # fold's blank: strip it as every mail client does.
    return str(message["Subject"]).strip()


def text_part(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_part(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_acknowledgement_is_german_by_default_with_ticket_number(org, smtp_sink):
    ticket = phone_ticket(org)
    row = OutboundEmail.objects.get(ticket=ticket)
    assert (row.kind, row.delivery_state, row.to) == (
        MailKind.ACKNOWLEDGEMENT,
        DeliveryState.QUEUED,
        ["petra.mueller@mueller-logistik.example"],
    )

    [mail] = deliver(smtp_sink, 1)

    assert subject(mail) == (
        f"Ihre Anfrage ist bei uns eingegangen: Drucker im 2. OG [Ticket#{ticket.number}]"
    )
    assert mail["To"] == "petra.mueller@mueller-logistik.example"
    assert mail["Message-ID"] == row.message_id
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["X-Laufzettel-Ticket"] == ticket.number
    assert mail.get_content_type() == "multipart/alternative"
    text = text_part(mail)
    assert text.startswith("Guten Tag Petra Müller,")
    assert f"unter der Ticketnummer {ticket.number} erfasst" in text
    html = html_part(mail)
    assert '<html lang="de">' in html
    assert f"Ticketnummer {ticket.number}" in html


def test_english_contact_gets_every_mail_in_english(org, smtp_sink):
    contact = make_contact("Jane Doe", org.org_a, "jane.doe@example.com", language="en")
    ticket = phone_ticket(org, contact, subject="VPN drops every hour")
    lifecycle.qualify(ticket, by=org.first_level_agent, topic=org.topic_rz)
    lifecycle.ask_customer(ticket, by=org.first_level_agent, question="Which client version?")
    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Updated the VPN gateway.")

    ack, question, resolution = deliver(smtp_sink, 3)

    tag = f"[Ticket#{ticket.number}]"
    assert subject(ack) == f"We have received your request: VPN drops every hour {tag}"
    assert f"ticket number {ticket.number}" in text_part(ack)
    assert subject(question) == f"A question about your request: VPN drops every hour {tag}"
    assert "Which client version?" in text_part(question)
    assert subject(resolution) == f"Your request has been resolved: VPN drops every hour {tag}"
    assert "Updated the VPN gateway." in text_part(resolution)
    for mail in (ack, question, resolution):
        assert text_part(mail).startswith("Hello Jane Doe,")
        assert '<html lang="en">' in html_part(mail)


def test_clarification_and_resolution_in_german(org, smtp_sink):
    ticket = phone_ticket(org)
    lifecycle.qualify(ticket, by=org.first_level_agent, topic=org.topic_rz)
    lifecycle.ask_customer(
        ticket, by=org.first_level_agent, question="Welches Modell steht im 2. OG?"
    )
    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Fixiereinheit getauscht.")

    ack, question, resolution = deliver(smtp_sink, 3)

    tag = f"[Ticket#{ticket.number}]"
    assert subject(question) == f"Rückfrage zu Ihrer Anfrage: Drucker im 2. OG {tag}"
    assert f"(Ticket {ticket.number})" in text_part(question)
    assert "Welches Modell steht im 2. OG?" in text_part(question)
    # Written by an agent, so a person's answer is wanted: not marked automatic.
    assert question["Auto-Submitted"] is None
    assert subject(resolution) == f"Ihre Anfrage wurde gelöst: Drucker im 2. OG {tag}"
    assert "Fixiereinheit getauscht." in text_part(resolution)
    assert resolution["Auto-Submitted"] == "auto-generated"
    # Every mail of the ticket is its own message, threaded under one root.
    ids = {m["Message-ID"] for m in (ack, question, resolution)}
    assert len(ids) == 3
    assert {m["References"] for m in (ack, question, resolution)} == {ack["In-Reply-To"]}


def test_text_part_keeps_names_and_quotes_unescaped(org, smtp_sink):
    contact = make_contact("Renée O'Connor-Müller", org.org_a, "renee@example.com")
    ticket = phone_ticket(org, contact, subject='Fax & "Scan" <Büro>')
    lifecycle.ask_customer(
        ticket, by=org.first_level_agent, question="Gilt das für 'alle' Geräte & <Drucker>?"
    )

    ack, question = deliver(smtp_sink, 2)

    assert subject(ack).startswith('Ihre Anfrage ist bei uns eingegangen: Fax & "Scan" <Büro>')
    assert text_part(ack).startswith("Guten Tag Renée O'Connor-Müller,")
    assert "Gilt das für 'alle' Geräte & <Drucker>?" in text_part(question)
    html = html_part(question)
    assert "Renée O&#x27;Connor-Müller" in html
    assert "&#x27;alle&#x27; Geräte &amp; &lt;Drucker&gt;?" in html
    assert "<Drucker>" not in html


def test_long_subject_across_lines_keeps_the_ticket_tag(org, smtp_sink):
    long_subject = "Telefonanlage\nStandort Nord " + "sehr lange Beschreibung " * 12
    ticket = phone_ticket(org, subject=long_subject[:250])

    [mail] = deliver(smtp_sink, 1)

    article = Article.objects.get(ticket=ticket, kind=ArticleKind.EMAIL_OUT)
    assert len(article.subject) <= 250
    assert article.subject.endswith(f"… [Ticket#{ticket.number}]")
    assert "\n" not in article.subject
    assert subject(mail) == article.subject


def test_a_rolled_back_change_leaves_no_mail(org):
    ticket = phone_ticket(org)
    lifecycle.qualify(ticket, by=org.first_level_agent, topic=org.topic_rz)
    before = OutboundEmail.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Neu gestartet.")
        assert OutboundEmail.objects.count() == before + 1
        raise RuntimeError("the caller's transaction fails after the change")

    assert OutboundEmail.objects.count() == before
    assert not Article.objects.filter(ticket=ticket, subject__contains="gelöst").exists()
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN


def test_a_failed_transition_queues_nothing(org):
    ticket = phone_ticket(org)
    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Erledigt.")
    before = OutboundEmail.objects.count()

    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.ask_customer(ticket, by=org.first_level_agent, question="Noch eine Frage?")

    assert OutboundEmail.objects.count() == before


def test_contact_without_email_gets_no_acknowledgement(org):
    caller = make_contact("Herr Nur-Telefon", org.org_a, phone="+49 89 555 0100")
    ticket = phone_ticket(org, caller)
    assert not OutboundEmail.objects.filter(ticket=ticket).exists()
