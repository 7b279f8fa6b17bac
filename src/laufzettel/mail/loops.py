"""Mail that must not be answered automatically (RFC 3834), and mail that is our own coming back."""

from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone

from laufzettel.mail.parse import ParsedMessage

NO_REPLY_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
MAILER_DAEMONS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"}


def own_addresses() -> set[str]:
    """The addresses we send from: mail from them is our own, coming back."""
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    addresses.update(a.lower() for a in settings.LAUFZETTEL_MAIL_OWN_ADDRESSES)
    return {a for a in addresses if a}


def is_own(parsed: ParsedMessage) -> bool:
    """Our own mail looping back: sent from our address or carrying our X-Loop marker."""
    if parsed.from_email in own_addresses():
        return True
    loop = parsed.headers.get("x-loop", "").lower()
    return bool(loop) and any(address in loop for address in own_addresses())


def is_automatic(parsed: ParsedMessage) -> bool:
    """A message no automatic answer may go to: auto-replies, lists, bulk, daemons."""
    headers = parsed.headers
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return True
    if headers.get("precedence", "").strip().lower() in NO_REPLY_PRECEDENCE:
        return True
    if any(name in headers for name in ("x-autoreply", "x-autorespond", "list-id")):
        return True
    if headers.get("x-auto-response-suppress", "").lower() in ("all", "oof", "autoreply"):
        return True
    # An empty envelope sender (Return-Path: <>) marks a notification (RFC 5321 4.5.5).
    if headers.get("return-path", "").strip() == "<>":
        return True
    return parsed.from_email.split("@", 1)[0] in MAILER_DAEMONS


def auto_reply_allowed(sender: str, recent_replies: int) -> bool:
    """The per-sender limit: at most N automatic answers per hour to one address."""
    return bool(sender) and recent_replies < settings.LAUFZETTEL_MAIL_AUTO_REPLY_LIMIT


def rate_window_start() -> object:
    return timezone.now() - timedelta(hours=1)
