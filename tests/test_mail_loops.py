"""Loops and noise: no automatic answers to automatic mail, our own mail ignored, bounces attach."""

from laufzettel.mail.ingest import ingest
from laufzettel.mail.models import InboundMessage, InboundStatus, Outcome, Source
from laufzettel.outbox.models import DeliveryState, MailKind, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel, Ticket, Visibility
from tests.conftest import Org
from tests.mail_helpers import ingest_fixture, mail


def acknowledgements() -> int:
    return OutboundEmail.objects.filter(kind=MailKind.ACKNOWLEDGEMENT).count()


def test_out_of_office_opens_a_ticket_but_gets_no_automatic_answer(org: Org) -> None:
    inbound = ingest_fixture("auto-reply-out-of-office.eml")
    assert inbound.outcome == Outcome.NEW_TICKET and not inbound.auto_replied
    assert acknowledgements() == 0


def test_bulk_and_list_mail_gets_no_automatic_answer(org: Org) -> None:
    inbound = ingest_fixture("precedence-bulk-newsletter.eml")
    assert inbound.outcome == Outcome.NEW_TICKET
    assert acknowledgements() == 0


def test_our_own_mail_coming_back_is_kept_but_filed_nowhere(org: Org) -> None:
    inbound = ingest_fixture("own-address-loop.eml")
    assert (inbound.status, inbound.outcome) == (InboundStatus.IGNORED, Outcome.LOOP)
    assert inbound.ticket is None
    assert Ticket.objects.count() == 0 and OutboundEmail.objects.count() == 0


def test_x_loop_header_of_ours_is_a_loop(org: Org) -> None:
    raw = mail("robot@elsewhere.example", "Fwd", headers="X-Loop: support@laufzettel.localhost\r\n")
    assert ingest(raw, source=Source.PIPE).outcome == Outcome.LOOP


def test_automatic_answers_per_sender_are_rate_limited(org: Org, settings: object) -> None:
    settings.LAUFZETTEL_MAIL_AUTO_REPLY_LIMIT = 3  # type: ignore[attr-defined]
    for n in range(5):
        inbound = ingest(mail("flood@example.org", f"Anfrage {n}"), source=Source.PIPE)
        assert inbound.outcome == Outcome.NEW_TICKET
    assert acknowledgements() == 3
    # Another sender is not affected.
    ingest(mail("calm@example.org", "Anfrage"), source=Source.PIPE)
    assert acknowledgements() == 4


def test_bounce_marks_our_mail_failed_and_tells_the_agents_instead_of_opening_a_ticket(
    org: Org,
) -> None:
    ticket = lifecycle.create_ticket(
        contact=org.customer_a, subject="Telefon", body="kaputt", channel=Channel.EMAIL
    )
    ack = OutboundEmail.objects.get(ticket=ticket)
    inbound = ingest_fixture("bounce-multipart-report.eml", **{"<ORIGINAL-ID>": ack.message_id})
    assert (inbound.outcome, inbound.ticket_id) == (Outcome.BOUNCE, ticket.pk)
    ack.refresh_from_db()
    assert ack.delivery_state == DeliveryState.FAILED
    assert "5.1.1" in ack.last_error and "User unknown" in ack.last_error
    note = inbound.article
    assert note is not None and note.visibility == Visibility.INTERNAL
    assert "petra.mueller@mueller-logistik.example" in note.body_text
    assert Ticket.objects.count() == 1
    assert acknowledgements() == 1  # the bounce itself was not acknowledged


def test_bounce_for_unknown_mail_is_kept_not_filed(org: Org) -> None:
    inbound = ingest_fixture("bounce-multipart-report.eml")
    assert (inbound.status, inbound.outcome) == (InboundStatus.IGNORED, Outcome.BOUNCE)
    assert Ticket.objects.count() == 0
    assert InboundMessage.objects.count() == 1
