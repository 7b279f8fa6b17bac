"""Random and mutated MIME: parsing never raises, and ingest never loses a message."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laufzettel.mail.ingest import ingest
from laufzettel.mail.models import InboundMessage, InboundStatus, Source
from laufzettel.mail.parse import parse_message
from tests.conftest import Org

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "mail").glob("*.eml"))
SEEDS = [path.read_bytes() for path in FIXTURES]
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "gb2312", "iso-2022-jp", "x-bogus", "base64", ""]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["delete", "insert", "flip", "duplicate", "truncate"]))
        if action == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "insert":
            data[at:at] = draw(st.binary(max_size=64))
        elif action == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif action == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
        else:
            del data[at:]
    return bytes(data)


@st.composite
def generated(draw: st.DrawFn) -> bytes:
    """A MIME tree with random charsets, encodings, names and nesting."""
    text = st.text(max_size=40)

    def part(depth: int) -> str:
        if depth < 3 and draw(st.booleans()):
            boundary = draw(st.sampled_from(["b", "=_x", "", "a b"]))
            kind = draw(st.sampled_from(["mixed", "alternative", "related", "report", "digest"]))
            children = "".join(
                f"--{boundary}\r\n{part(depth + 1)}\r\n" for _ in range(draw(st.integers(0, 3)))
            )
            end = draw(st.sampled_from([f"--{boundary}--\r\n", ""]))
            return f'Content-Type: multipart/{kind}; boundary="{boundary}"\r\n\r\n{children}{end}'
        ctype = draw(
            st.sampled_from(
                [
                    "text/plain",
                    "text/html",
                    "message/rfc822",
                    "application/ms-tnef",
                    "message/delivery-status",
                    "image/png",
                    "application/octet-stream",
                ]
            )
        )
        cte = draw(st.sampled_from(["base64", "quoted-printable", "8bit", "x-uuencode", "bogus"]))
        name = draw(text).replace("\r", "").replace("\n", "")
        return (
            f'Content-Type: {ctype}; charset={draw(st.sampled_from(CHARSETS))}; name="{name}"\r\n'
            f"Content-Transfer-Encoding: {cte}\r\n"
            f"Content-Disposition: {draw(st.sampled_from(['inline', 'attachment', '']))}; "
            f"filename*=utf-8''{name}\r\n\r\n{draw(text)}"
        )

    header = st.text(max_size=60).map(lambda s: s.replace("\r", " ").replace("\n", " "))
    head = (
        f"From: {draw(header)}\r\nSubject: =?{draw(st.sampled_from(CHARSETS))}?"
        f"{draw(st.sampled_from('BQx'))}?{draw(header)}?=\r\n"
        f"Message-ID: <{draw(header)}>\r\nIn-Reply-To: {draw(header)}\r\n"
        f"Auto-Submitted: {draw(header)}\r\n"
    )
    return (head + part(0)).encode("utf-8", "surrogatepass")


messages = st.one_of(st.binary(max_size=2000), mutated(), generated())


@settings(max_examples=300, deadline=None)
@given(messages)
def test_parse_never_raises(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert isinstance(parsed.text, str) and isinstance(parsed.subject, str)
    for attachment in parsed.attachments:
        assert "/" not in attachment.filename and isinstance(attachment.data, bytes)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(messages)
def test_ingest_never_raises_and_never_loses_a_message(org: Org, raw: bytes) -> None:
    before = InboundMessage.objects.count()
    inbound = ingest(raw, source=Source.PIPE)
    stored = InboundMessage.objects.get(pk=inbound.pk)
    assert bytes(stored.raw) == raw
    assert stored.status in (InboundStatus.PROCESSED, InboundStatus.IGNORED, InboundStatus.FAILED)
    assert InboundMessage.objects.count() in (before, before + 1)  # before: a duplicate
    if stored.status == InboundStatus.PROCESSED:
        assert stored.ticket_id is not None and stored.article_id is not None
