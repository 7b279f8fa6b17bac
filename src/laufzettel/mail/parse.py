"""``parse_message(raw) -> ParsedMessage``: a pure function from the bytes of a mail to its content.

No database, no settings: the same bytes always give the same result, so the corpus test, the
property test and the benchmark exercise exactly what ingest uses. The MIME tree is read with
the standard library's lenient compat32 parser (it never raises on structure), and every header
and text part is decoded by ``decode`` with fallbacks, so a damaged message still yields its
sender, subject and as much text as can be read.
"""

import email
import email.message
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime

from laufzettel.mail.decode import decode_bytes, decode_header, message_ids, parse_addresses
from laufzettel.mail.html import html_to_text, sanitize_html
from laufzettel.mail.report import DeliveryReport, read_delivery_report
from laufzettel.mail.tnef import unpack_tnef

Message = email.message.Message

# The headers loop and bounce rules read, lowercased.
SIGNAL_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-loop",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "return-path",
    "x-laufzettel-ticket",
    "x-failed-recipients",
)
# File name extensions for parts that come without a name (Zammad's convention, kept for parity).
EXTENSIONS = {
    "text/plain": "txt",
    "text/html": "html",
    "message/delivery-status": "txt",
    "text/rfc822-headers": "txt",
    "message/rfc822": "eml",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "application/pdf": "pdf",
}


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMessage:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_email: str = ""
    from_name: str = ""
    reply_to: str = ""
    to: list[tuple[str, str]] = field(default_factory=list)
    cc: list[tuple[str, str]] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    report: DeliveryReport | None = None
    defects: list[str] = field(default_factory=list)

    @property
    def body_for_ticket(self) -> str:
        return self.text.strip() or html_to_text(self.html)


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything a ticket needs from one raw RFC 5322 message; never raises on bad input."""
    msg = email.message_from_bytes(repair_headers(raw), policy=email.policy.compat32)
    charset = _charsets(msg)
    parsed = ParsedMessage()
    ids = message_ids(msg.get("Message-ID"))
    parsed.message_id = ids[0][:500] if ids else ""
    parsed.in_reply_to = message_ids(msg.get("In-Reply-To"))
    parsed.references = message_ids(msg.get("References"))
    # The first From that names an address; without one, whom an answer would go to.
    for header in ("From", "Reply-To", "Sender", "Return-Path"):
        senders = [
            pair
            for value in msg.get_all(header) or []
            for pair in parse_addresses(value, charset)
            if "@" in pair[1]
        ]
        if senders:
            parsed.from_name, parsed.from_email = senders[0]
            break
    reply_to = parse_addresses(msg.get("Reply-To"), charset)
    parsed.reply_to = reply_to[0][1] if reply_to else ""
    parsed.to = parse_addresses(_all(msg, "To"), charset)
    parsed.cc = parse_addresses(_all(msg, "Cc"), charset)
    parsed.subject = decode_header(msg.get("Subject"), charset)
    parsed.date = _date(msg.get("Date"))
    for name in SIGNAL_HEADERS:
        value = msg.get(name)
        if value is not None:
            parsed.headers[name] = decode_header(value)[:1000]
    _Walker(parsed).walk(msg)
    parsed.defects = [type(d).__name__ for d in getattr(msg, "defects", [])][:20]
    if not parsed.text.strip() and parsed.html:
        parsed.text = html_to_text(parsed.html)
    parsed.html = sanitize_html(parsed.html) if parsed.html else ""
    return parsed


def _all(msg: Message, name: str) -> str | None:
    values = msg.get_all(name)
    return ", ".join(str(v) for v in values) if values else None


def _date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None


def _charsets(msg: Message) -> tuple[str, ...]:
    """The charsets a sender used, as guesses for raw 8-bit bytes in the headers."""
    found: list[str] = []
    for part in msg.walk():
        charset = part.get_param("charset")
        if isinstance(charset, str) and charset and charset not in found:
            found.append(charset)
    return tuple(found[:10])


_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")


def repair_headers(raw: bytes) -> bytes:
    """Undo damage that would end the header block early: junk before the first header (e.g.
    "---- Original message ----") and wrapped lines that lost their leading white space."""
    end = raw.find(b"\n\n")
    crlf_end = raw.find(b"\r\n\r\n")
    if crlf_end != -1 and (end == -1 or crlf_end < end):
        end = crlf_end
    if end == -1:
        end = len(raw)
    head, rest = raw[:end], raw[end:]
    lines = head.split(b"\n")
    start = 0
    while start < len(lines) and start < 5 and not _HEADER_LINE.match(lines[start]):
        if lines[start].startswith(b"From "):  # the mbox separator is kept for the parser
            break
        start += 1
    if start == len(lines) or start == 5:
        start = 0
    fixed = []
    for index, line in enumerate(lines[start:]):
        bare = line.rstrip(b"\r")
        if index and bare and not bare[:1].isspace() and not _HEADER_LINE.match(bare):
            line = b" " + line
        fixed.append(line)
    return b"\n".join(fixed) + rest


def _payload(part: Message) -> bytes:
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    raw = part.get_payload()
    if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
        return _uudecode(raw if isinstance(raw, str) else "")
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return data


def _uudecode(text: str) -> bytes:
    import binascii

    out = bytearray()
    inside = False
    for line in text.splitlines():
        if line.startswith("begin "):
            inside = True
            continue
        if line.strip() == "end":
            break
        if inside and line:
            try:
                out += binascii.a2b_uu(line)
            except binascii.Error:
                continue
    return bytes(out)


def _text(part: Message) -> str:
    return decode_bytes(_payload(part), part.get_param("charset") or None)  # type: ignore[arg-type]


def _filename(part: Message, fallback_charset: tuple[str, ...]) -> str:
    name: object
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None:
        name = part.get_param("name")
    if isinstance(name, tuple):  # RFC 2231 value that get_filename left undecoded
        name = email.utils.collapse_rfc2231_value(name)
    if not name:
        return ""
    # RFC 2047 inside a parameter is forbidden but common (Outlook, Lotus).
    name = decode_header(name, fallback_charset)
    # Keep only the last path component: a name is never a place to write to.
    return re.split(r"[\\/]", name)[-1].strip()[:255]


def _fallback_name(part: Message, ctype: str, fallback_charset: tuple[str, ...]) -> str:
    ext = EXTENSIONS.get(ctype, "")
    description = decode_header(part.get("Content-Description"), fallback_charset)
    if ctype == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            subject = decode_header(inner[0].get("Subject"), fallback_charset)
            if subject:
                return f"{subject}.eml"
        return f"{description}.eml" if description else "Mail.eml"
    # Zammad names only reports and forwarded mails after their description.
    if description and ctype.startswith("message/"):
        if ext and not description.lower().endswith(f".{ext}"):
            return f"{description}.{ext}"
        return description
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        return f"{ctype.split('/')[1]}.txt"
    return "file"


class _Walker:
    """Collects the body text, HTML and attachments of a MIME tree in reading order."""

    def __init__(self, parsed: ParsedMessage) -> None:
        self.parsed = parsed
        self.texts: list[str] = []
        self.htmls: list[str] = []
        # Body parts in reading order, (is_html, text): mixed HTML and plain parts form one body.
        self.segments: list[tuple[bool, str]] = []
        self.charset: tuple[str, ...] = ()

    def walk(self, msg: Message) -> None:
        self.charset = _charsets(msg)
        self._part(msg, depth=0)
        self.parsed.text = "\n\n".join(t.strip("\n") for t in self.texts if t.strip())
        if any(is_html for is_html, _ in self.segments):
            self.parsed.html = "\n".join(
                text if is_html else _plain_as_html(text) for is_html, text in self.segments
            )

    def _attach(self, part: Message, ctype: str, data: bytes, name: str = "") -> None:
        name = name or _filename(part, self.charset) or _fallback_name(part, ctype, self.charset)
        cid = str(part.get("Content-ID", "")).strip().strip("<>").replace("\x00", "")
        ctype = ctype.replace("\x00", "")
        disposition = str(part.get("Content-Disposition", "")).lower()
        self.parsed.attachments.append(
            ParsedAttachment(
                filename=name,
                content_type=ctype,
                data=data,
                content_id=cid[:250],
                inline=bool(cid) and not disposition.startswith("attachment"),
            )
        )

    def _part(self, part: Message, depth: int) -> None:
        if depth > 30:  # a hostile nesting depth: keep what was read so far
            self.parsed.defects.append("NestingTooDeep")
            return
        ctype = part.get_content_type().lower()
        if ctype == "message/rfc822" or (
            ctype.startswith("message/") and depth == 0 and not part.is_multipart()
        ):
            self._attach(part, "message/rfc822", _rfc822_bytes(part))
            return
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            self._attach(part, ctype, _status_bytes(part))
            return
        if part.is_multipart():
            payload = part.get_payload()
            if not isinstance(payload, list):
                return
            children = [child for child in payload if isinstance(child, Message)]
            if ctype == "multipart/alternative":
                self._alternative(children, depth)
            elif ctype == "multipart/report":
                self.parsed.report = read_delivery_report(part)
                for child in children:
                    self._part(child, depth + 1)
            else:
                for child in children:
                    self._part(child, depth + 1)
            return
        disposition = str(part.get("Content-Disposition", "")).strip().lower()
        is_attachment = disposition.startswith("attachment") or bool(_filename(part, self.charset))
        if ctype in ("text/plain", "text/html") and not is_attachment:
            text = _text(part)
            if ctype == "text/plain":
                self.texts.append(text)
                self.segments.append((False, text))
            else:
                self.htmls.append(text)
                self.segments.append((True, text))
                # In multipart/mixed an HTML part stands for itself in the plain text, too.
                self.texts.append(html_to_text(text))
            return
        data = _payload(part)
        if ctype in ("application/ms-tnef", "application/vnd.ms-tnef"):
            unpacked = unpack_tnef(data)
            if unpacked is not None:
                body, files = unpacked
                if body:
                    self.texts.append(body)
                for name, content_type, payload in files:
                    self._attach(part, content_type, payload, name=name)
                return
        self._attach(part, ctype, data)

    def _alternative(self, children: list[Message], depth: int) -> None:
        """One body from alternatives: the richest HTML and the plain text, not both twice."""
        plain: list[str] = []
        html: list[str] = []
        for child in children:
            ctype = child.get_content_type().lower()
            if child.is_multipart():
                sub = _Walker(ParsedMessage())
                sub.charset = self.charset
                sub._part(child, depth + 1)
                self.parsed.attachments.extend(sub.parsed.attachments)
                if sub.htmls:
                    html = sub.htmls
                    plain = plain or sub.texts
                elif sub.texts:
                    plain = sub.texts
            elif ctype == "text/plain":
                plain = [_text(child)]
            elif ctype == "text/html":
                html = [_text(child)]
            else:
                self._part(child, depth + 1)
        self.htmls.extend(html)
        self.texts.extend(plain or [html_to_text(h) for h in html])
        if html:
            self.segments.extend((True, h) for h in html)
        else:
            self.segments.extend((False, t) for t in plain)


def _plain_as_html(text: str) -> str:
    import html

    return html.escape(text).replace("\n", "<br>\n")


def _rfc822_bytes(part: Message) -> bytes:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        try:
            return inner[0].as_bytes(policy=email.policy.compat32)
        except Exception:
            return str(inner[0]).encode("utf-8", "surrogateescape")
    return _payload(part)


def _status_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(p.as_string() for p in payload if isinstance(p, Message)).encode(
            "utf-8", "surrogateescape"
        )
    return _payload(part)
