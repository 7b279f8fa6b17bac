"""Delivery status notifications (bounces): which of our messages failed, for whom, and why."""

import email.message
import re
from dataclasses import dataclass, field

from laufzettel.mail.decode import decode_bytes, message_ids

Message = email.message.Message


@dataclass
class DeliveryReport:
    """What a ``multipart/report`` (RFC 3464) or a classic bounce says about a message we sent."""

    original_message_ids: list[str] = field(default_factory=list)
    failed_recipients: list[str] = field(default_factory=list)
    status: str = ""
    diagnostic: str = ""

    @property
    def failed(self) -> bool:
        # A "delayed" or "delivered" report is not a failure; a report without status is.
        return not self.status or self.status.startswith(("4", "5"))


def read_delivery_report(report: Message) -> DeliveryReport:
    result = DeliveryReport()
    for part in report.walk():
        ctype = part.get_content_type().lower()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            _read_status(part, result)
        elif ctype in ("message/rfc822", "text/rfc822-headers", "message/global-headers"):
            _read_original(part, result)
    return result


def _read_status(part: Message, result: DeliveryReport) -> None:
    # compat32 parses the status blocks as sub-messages; their text is all we need.
    payload = part.get_payload()
    if isinstance(payload, list):
        text = "\n\n".join(p.as_string() for p in payload if isinstance(p, Message))
    else:
        raw = part.get_payload(decode=True) or b""
        text = decode_bytes(raw if isinstance(raw, bytes) else b"")
    for line in re.sub(r"\n[ \t]+", " ", text).splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "final-recipient" and value:
            address = value.split(";", 1)[-1].strip().strip("<>").lower()
            if address and address not in result.failed_recipients:
                result.failed_recipients.append(address)
        elif key == "status" and not result.status:
            result.status = value[:20]
        elif key == "diagnostic-code" and not result.diagnostic:
            result.diagnostic = value.split(";", 1)[-1].strip()[:1000]


def _read_original(part: Message, result: DeliveryReport) -> None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        headers = payload[0]
        result.original_message_ids.extend(message_ids(headers.get("Message-ID")))
        return
    raw = part.get_payload(decode=True)
    text = decode_bytes(raw) if isinstance(raw, bytes) else str(payload)
    found = re.search(r"^Message-ID:\s*(<[^>\s]+>)", text, re.IGNORECASE | re.MULTILINE)
    if found:
        result.original_message_ids.append(found.group(1))


def classic_bounce(text: str, from_email: str, subject: str) -> DeliveryReport | None:
    """A bounce without ``multipart/report`` (old qmail, Exchange): recognised by its sender."""
    local = from_email.split("@", 1)[0].lower()
    if local not in ("mailer-daemon", "postmaster") and not re.search(
        r"undeliver|delivery (status|failure)|returned mail|unzustellbar", subject, re.IGNORECASE
    ):
        return None
    if local not in ("mailer-daemon", "postmaster"):
        return None
    ids = re.findall(r"^Message-ID:\s*(<[^>\s]+>)", text, re.IGNORECASE | re.MULTILINE)
    return DeliveryReport(original_message_ids=ids)
