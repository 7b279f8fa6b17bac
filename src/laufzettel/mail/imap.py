"""IMAP adapter: fetch unseen messages, hand their bytes to ingest, then flag or move them.

A message is marked only after ``ingest`` committed it (and its ticket change). A crash in
between leaves it unseen on the server; the next fetch hands it in again and the dedup of
``store_raw`` recognises it, so it is marked then and filed only once.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone
from imap_tools import AND, MailBox, MailBoxUnencrypted, MailMessage, MailMessageFlags

from laufzettel.mail.ingest import ingest
from laufzettel.mail.models import ImapMailbox, InboundStatus, Source

log = logging.getLogger(__name__)


class RawMailMessage(MailMessage):
    """imap-tools' message plus the exact bytes the server sent (its parse is not ours)."""

    def __init__(self, fetch_data: list) -> None:  # type: ignore[type-arg]
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


class _RawMailBox(MailBox):
    email_message_class = RawMailMessage


class _RawMailBoxPlain(MailBoxUnencrypted):
    email_message_class = RawMailMessage


@contextmanager
def connect(box: ImapMailbox) -> Iterator[MailBox | MailBoxUnencrypted]:
    cls = _RawMailBox if box.use_ssl else _RawMailBoxPlain
    with cls(box.host, box.port).login(box.username, box.password, box.folder) as mailbox:
        yield mailbox


def fetch_mailbox(box: ImapMailbox, *, limit: int = 500) -> int:
    """File the folder's unseen messages; returns how many were handed in."""
    count = 0
    with connect(box) as mailbox:
        for message in mailbox.fetch(AND(seen=False), mark_seen=False, limit=limit):
            assert isinstance(message, RawMailMessage) and message.uid is not None
            inbound = ingest(message.raw, source=Source.IMAP, mailbox=box.name)
            if inbound.status == InboundStatus.RECEIVED:  # not stored durably: leave it unseen
                continue
            # Stored (and filed, or kept as failed mail): the server may let go of it now.
            if box.move_to:
                mailbox.move(message.uid, box.move_to)
            else:
                mailbox.flag(message.uid, MailMessageFlags.SEEN, True)
            count += 1
    ImapMailbox.objects.filter(pk=box.pk).update(last_polled_at=timezone.now(), last_error="")
    return count


def fetch_all(name: str | None = None) -> int:
    total = 0
    boxes = ImapMailbox.objects.filter(is_active=True)
    if name:
        boxes = boxes.filter(name=name)
    for box in boxes:
        try:
            total += fetch_mailbox(box)
        except Exception as exc:
            log.warning("IMAP mailbox %s failed", box.name, exc_info=True)
            ImapMailbox.objects.filter(pk=box.pk).update(
                last_polled_at=timezone.now(), last_error=str(exc)[:2000]
            )
    return total


def idle_forever(name: str | None = None, timeout: int = 300) -> None:
    """Fetch, then wait with IDLE where the server offers it (else poll every ``timeout``)."""
    import time

    while True:
        fetch_all(name)
        box = ImapMailbox.objects.filter(is_active=True, **({"name": name} if name else {})).first()
        if box is None:
            time.sleep(timeout)
            continue
        try:
            with connect(box) as mailbox:
                if "IDLE" in mailbox.client.capabilities:
                    mailbox.idle.wait(timeout=timeout)
                    continue
        except Exception:
            log.warning("IMAP IDLE on %s failed", box.name, exc_info=True)
        time.sleep(min(timeout, 60))
