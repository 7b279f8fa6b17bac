"""Feeding fixture mails through the real ingest pipeline."""

from pathlib import Path

from laufzettel.mail.ingest import ingest
from laufzettel.mail.models import InboundMessage, Source

FIXTURES = Path(__file__).parent / "fixtures" / "mail"


def fixture(name: str, **replace: str) -> bytes:
    raw = (FIXTURES / name).read_bytes()
    for key, value in replace.items():
        raw = raw.replace(key.encode(), value.encode())
    return raw


def ingest_fixture(name: str, **replace: str) -> InboundMessage:
    return ingest(fixture(name, **replace), source=Source.PIPE)


def mail(
    sender: str,
    subject: str,
    body: str = "Hallo,\nbitte helfen Sie.",
    *,
    message_id: str = "",
    headers: str = "",
) -> bytes:
    import uuid

    message_id = message_id or f"<{uuid.uuid4().hex}@test.example>"
    return (
        f"From: {sender}\r\nTo: support@laufzettel.localhost\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n{headers}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()
