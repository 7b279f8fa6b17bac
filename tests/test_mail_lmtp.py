"""The LMTP listener answers 250 per recipient only once the message is committed."""

import smtplib
from collections.abc import Iterator

import pytest

from laufzettel.mail import lmtp
from laufzettel.mail.ingest import process_pending
from laufzettel.mail.models import InboundMessage, InboundStatus, Source
from laufzettel.tickets.models import Ticket
from tests.conftest import Org
from tests.dovecot_server import free_port
from tests.mail_helpers import mail


@pytest.fixture
def listener() -> Iterator[int]:
    port = free_port()
    controller = lmtp.start("127.0.0.1", port)
    try:
        yield port
    finally:
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_lmtp_stores_before_answering_and_the_worker_files(listener: int, org: Org) -> None:
    raw = mail("Petra <petra.mueller@mueller-logistik.example>", "Über LMTP")
    with smtplib.LMTP("127.0.0.1", listener) as client:
        client.ehlo_or_helo_if_needed()
        assert client.mail("petra.mueller@mueller-logistik.example")[0] == 250
        assert client.rcpt("support@laufzettel.localhost")[0] == 250
        assert client.rcpt("kb@laufzettel.localhost")[0] == 250
        # RFC 2033: one answer per recipient (smtplib's sendmail reads only the first).
        first = client.data(raw)
        second = client.getreply()
        assert (first[0], second[0]) == (250, 250), (first, second)
    # The 250 came after the commit: the row is there, exactly once for both recipients.
    stored = InboundMessage.objects.get()
    assert (stored.source, stored.status) == (Source.LMTP, InboundStatus.RECEIVED)
    assert bytes(stored.raw).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert process_pending() == 1
    assert Ticket.objects.get().subject == "Über LMTP"


@pytest.mark.django_db(transaction=True)
def test_lmtp_answers_451_when_the_message_cannot_be_stored(
    listener: int, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(raw: bytes, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(lmtp, "store_raw", broken)
    with (
        smtplib.LMTP("127.0.0.1", listener) as client,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        client.sendmail(
            "a@example.org", ["support@laufzettel.localhost"], mail("a@example.org", "x")
        )
    assert refused.value.smtp_code == 451
    assert InboundMessage.objects.count() == 0
