"""Threading: a reply joins its ticket by our Message-ID or the subject tag, checked by sender."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from laufzettel.accounts.models import Contact
from laufzettel.mail.ingest import ingest
from laufzettel.mail.models import InboundStatus, Outcome, Source
from laufzettel.outbox.models import MailKind, OutboundEmail
from laufzettel.outbox.notify import thread_root_id
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import (
    ArticleKind,
    LinkKind,
    State,
    Ticket,
    TicketLink,
    Visibility,
)
from tests.conftest import Org, make_contact
from tests.mail_helpers import ingest_fixture, mail


def new_mail_ticket(
    org: Org, sender: str = "Petra Müller <petra.mueller@mueller-logistik.example>"
) -> Ticket:
    inbound = ingest(mail(sender, "Drucker im 2. OG"), source=Source.PIPE)
    assert inbound.outcome == Outcome.NEW_TICKET, inbound.error
    assert inbound.ticket is not None
    return inbound.ticket


def test_unknown_sender_becomes_contact_of_the_organization_of_their_domain(org: Org) -> None:
    org.org_a.email_domains = "mueller-logistik.example, mueller.example"
    org.org_a.save()
    ticket = new_mail_ticket(org, "Klaus Neu <Klaus.Neu@Mueller.example>")
    contact = Contact.objects.get(emails__address="klaus.neu@mueller.example")
    assert (contact.name, contact.organization) == ("Klaus Neu", org.org_a)
    assert ticket.contact == contact and ticket.organization == org.org_a
    assert ticket.team == org.first_level and ticket.state == State.NEW
    article = ticket.articles.get(kind=ArticleKind.EMAIL_IN)
    assert article.visibility == Visibility.PUBLIC and "bitte helfen" in article.body_text
    # The sender is acknowledged, in the same transaction.
    assert OutboundEmail.objects.filter(ticket=ticket, kind=MailKind.ACKNOWLEDGEMENT).count() == 1


def test_reply_by_in_reply_to_ends_the_wait_for_the_customer(org: Org) -> None:
    ticket = new_mail_ticket(org)
    lifecycle.ask_customer(ticket, by=org.first_level_agent, question="Welches Modell?")
    question = OutboundEmail.objects.get(ticket=ticket, kind=MailKind.CLARIFICATION)
    inbound = ingest_fixture(
        "reply-in-reply-to-our-message.eml",
        **{"<ORIGINAL-ID>": question.message_id, "<ROOT-ID>": thread_root_id(ticket)},
    )
    assert (inbound.outcome, inbound.ticket_id) == (Outcome.CUSTOMER_REPLY, ticket.pk)
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN and ticket.owner == org.first_level_agent
    assert inbound.article is not None and inbound.article.visibility == Visibility.PUBLIC


def test_reply_by_thread_root_alone(org: Org) -> None:
    ticket = new_mail_ticket(org)
    raw = mail(
        "petra.mueller@mueller-logistik.example",
        "Re: was anderes",
        headers=f"In-Reply-To: {thread_root_id(ticket)}\r\n",
    )
    inbound = ingest(raw, source=Source.PIPE)
    assert (inbound.outcome, inbound.ticket_id) == (Outcome.CUSTOMER_REPLY, ticket.pk)


def test_subject_tag_from_the_contact_or_a_colleague_is_a_customer_reply(org: Org) -> None:
    ticket = new_mail_ticket(org)
    make_contact("Kollege", org.org_a, "kollege@mueller-logistik.example")
    for sender, mark in [
        ("petra.mueller@mueller-logistik.example", "1"),
        ("kollege@mueller-logistik.example", "2"),
    ]:
        inbound = ingest_fixture(
            "reply-subject-tag-only.eml", SENDER=sender, NUMBER=ticket.number, MARK=mark
        )
        assert (inbound.outcome, inbound.ticket_id) == (Outcome.CUSTOMER_REPLY, ticket.pk)
    assert Ticket.objects.count() == 1


def test_stranger_using_a_ticket_tag_only_adds_an_internal_note(org: Org) -> None:
    ticket = new_mail_ticket(org)
    version = Ticket.objects.get(pk=ticket.pk).version
    mails_before = OutboundEmail.objects.count()
    inbound = ingest_fixture(
        "reply-subject-tag-only.eml",
        SENDER="s.schmidt@schmidt-bau.example",
        NUMBER=ticket.number,
        MARK="x",
    )
    assert (inbound.outcome, inbound.ticket_id) == (Outcome.NOTE, ticket.pk)
    assert inbound.article is not None
    assert inbound.article.visibility == Visibility.INTERNAL
    assert inbound.article.author_contact == org.customer_b
    ticket.refresh_from_db()
    assert ticket.state == State.NEW and ticket.contact == org.customer_a
    assert ticket.version == version + 1  # only the note's event
    # Nothing goes back to the stranger: the tag revealed nothing.
    assert OutboundEmail.objects.count() == mails_before


def test_unknown_ticket_number_in_the_tag_opens_a_new_ticket(org: Org) -> None:
    inbound = ingest_fixture(
        "reply-subject-tag-only.eml", SENDER="neu@example.org", NUMBER="99999", MARK="n"
    )
    assert inbound.outcome == Outcome.NEW_TICKET


def test_reply_to_closed_ticket_after_follow_up_window_opens_linked_ticket(org: Org) -> None:
    ticket = new_mail_ticket(org)
    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Papier nachgelegt.")
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        inbound = ingest_fixture(
            "reply-subject-tag-only.eml",
            SENDER="petra.mueller@mueller-logistik.example",
            NUMBER=ticket.number,
            MARK="late",
        )
    assert inbound.outcome == Outcome.CUSTOMER_REPLY
    assert inbound.ticket_id != ticket.pk
    assert TicketLink.objects.filter(
        source_id=inbound.ticket_id, target=ticket, kind=LinkKind.FOLLOW_UP
    ).exists()
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED


def test_vendor_reply_joins_as_internal_article_and_ends_the_wait(org: Org) -> None:
    ticket = new_mail_ticket(org)
    lifecycle.escalate(
        ticket,
        by=org.first_level_agent,
        to_team=org.vendor,
        handover=lifecycle.Handover(
            initial_situation="Storage meldet Fehler",
            affected_persons_text="alle",
            solution_attempts="Neustart",
            measures_taken="Log gesichert",
        ),
    )
    handover = OutboundEmail.objects.get(ticket=ticket, kind=MailKind.VENDOR_HANDOVER)
    assert handover.to == ["support@vendor.example"]
    raw = mail(
        "Vendor Support <support@vendor.example>",
        "Re: case",
        "Firmware 2.1 einspielen.",
        headers=f"In-Reply-To: {handover.message_id}\r\n",
    )
    inbound = ingest(raw, source=Source.PIPE)
    assert (inbound.outcome, inbound.ticket_id) == (Outcome.VENDOR_REPLY, ticket.pk)
    assert inbound.article is not None and inbound.article.visibility == Visibility.INTERNAL
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN and ticket.team == org.first_level


def test_attachments_are_stored_on_the_article_and_oversize_ones_noted(
    org: Org, settings: object
) -> None:
    inbound = ingest_fixture("rfc2231-attachment-name.eml")
    assert inbound.status == InboundStatus.PROCESSED
    (attachment,) = inbound.article.attachments.all()  # type: ignore[union-attr]
    assert attachment.name == "Prüfbericht März 2026.pdf"
    assert attachment.file.read().startswith(b"%PDF-1.1")
    settings.LAUFZETTEL_MAIL_MAX_ATTACHMENT_BYTES = 10  # type: ignore[attr-defined]
    inbound = ingest_fixture("rfc2231-attachment-name.eml", **{"<rfc2231@": "<rfc2231-big@"})
    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.article is not None and not inbound.article.attachments.exists()
    assert "Prüfbericht März 2026.pdf" in inbound.article.body_text
    # The note names the size (its wording is translated).
    assert str(inbound.article.body_text).count("Prüfbericht März 2026.pdf") == 1


def test_html_mail_keeps_sanitised_html_on_the_article(org: Org) -> None:
    inbound = ingest_fixture("html-only-with-script-and-cid-image.eml")
    article = inbound.article
    assert article is not None
    assert "<script" not in article.body_html and "rz-07" in article.body_html
    assert article.body_text.startswith("Sehr geehrte Damen und Herren,")
    assert [a.name for a in article.attachments.all()] == ["logo.png"]


def test_vendor_handover_goes_out_in_its_own_thread_and_answers_to_it_are_vendor_replies(
    org: Org,
) -> None:
    from laufzettel.outbox.notify import vendor_thread_root_id

    ticket = new_mail_ticket(org)
    lifecycle.escalate(
        ticket,
        by=org.first_level_agent,
        to_team=org.vendor,
        handover=lifecycle.Handover(
            initial_situation="Storage meldet Fehler",
            affected_persons_text="alle",
            solution_attempts="Neustart",
            measures_taken="Log gesichert",
        ),
    )
    handover = OutboundEmail.objects.get(ticket=ticket, kind=MailKind.VENDOR_HANDOVER)
    ack = OutboundEmail.objects.get(ticket=ticket, kind=MailKind.ACKNOWLEDGEMENT)
    assert handover.headers["References"] == vendor_thread_root_id(ticket)
    assert ack.headers["References"] == thread_root_id(ticket) != vendor_thread_root_id(ticket)
    assert f"[Ticket#{ticket.number}]" in handover.subject
    # The vendor's mail client quotes only the thread root (the Message-ID was rewritten).
    raw = mail(
        "Other Vendor Desk <desk@vendor.example>",
        "AW: Ticket",
        "Bitte Logs schicken.",
        headers=f"References: {vendor_thread_root_id(ticket)}\r\n",
    )
    inbound = ingest(raw, source=Source.PIPE)
    assert (inbound.outcome, inbound.ticket_id) == (Outcome.VENDOR_REPLY, ticket.pk)
    assert inbound.article is not None and inbound.article.visibility == Visibility.INTERNAL


def test_filing_costs_a_bounded_number_of_queries(
    org: Org, django_assert_max_num_queries: object
) -> None:
    ticket = new_mail_ticket(org)
    reply = mail(
        "petra.mueller@mueller-logistik.example",
        f"Re: Drucker [Ticket#{ticket.number}]",
        headers=f"In-Reply-To: {thread_root_id(ticket)}\r\n",
    )
    # Store (one commit) plus filing a reply: lookups, the life-cycle change with its hooks,
    # the inbound row. Independent of how many tickets, contacts or mails exist.
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        inbound = ingest(reply, source=Source.PIPE)
    assert inbound.outcome == Outcome.CUSTOMER_REPLY
    for n in range(3):
        ingest(mail(f"sender{n}@example.org", f"Neu {n}"), source=Source.PIPE)
    with django_assert_max_num_queries(45):  # type: ignore[operator]
        inbound = ingest(mail("another@example.org", "Noch neu"), source=Source.PIPE)
    assert inbound.outcome == Outcome.NEW_TICKET
