"""The one ingest action: store the raw message first, then parse and file it.

``store_raw`` commits the bytes (deduplicated by Message-ID plus SHA-256, so a redelivery after
a crash stores nothing twice) before anything can go wrong with them. ``process`` parses and
files a stored message in one transaction; if that fails, the transaction rolls back and the
message is marked failed with its error, for an admin to re-process. Nothing is ever dropped.
All three ways in (pipe spool, IMAP, LMTP) end in ``store_raw``.
"""

import hashlib
import logging
import traceback
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from laufzettel.mail.decode import decode_header, message_ids, parse_addresses
from laufzettel.mail.models import InboundMessage, InboundStatus, Source
from laufzettel.mail.parse import parse_message
from laufzettel.mail.route import file_message
from laufzettel.mail.spool import claim, recover_claims

log = logging.getLogger(__name__)


def _durable() -> None:
    """On SQLite, make this connection's commits survive power loss, not just a crash."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")


def _summary(raw: bytes) -> tuple[str, str, str]:
    """Message-ID, sender and subject from the headers alone, for dedup and the admin list."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:262144])
        ids = message_ids(headers.get("Message-ID"))
        senders = parse_addresses(headers.get("From"))
        subject = decode_header(headers.get("Subject"))
    except Exception:
        return "", "", ""
    return (ids[0] if ids else "")[:500], (senders[0][1] if senders else "")[:320], subject[:500]


def _store(raw: bytes, source: str, mailbox: str) -> tuple[InboundMessage, bool]:
    digest = hashlib.sha256(raw).hexdigest()
    message_id, sender, subject = _summary(raw)
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                raw=raw,
                message_id=message_id,
                sha256=digest,
                size=len(raw),
                source=source,
                mailbox=mailbox[:200],
                sender=sender,
                subject=subject,
            )
    except IntegrityError:
        existing = InboundMessage.objects.get(message_id=message_id, sha256=digest)
        return existing, False
    return inbound, True


def store_raw(raw: bytes, *, source: str, mailbox: str = "") -> tuple[InboundMessage, bool]:
    """Commit the message; returns (row, created). A known message returns the stored row."""
    _durable()
    with transaction.atomic():
        return _store(raw, source, mailbox)


_FILED_FIELDS = [
    "status",
    "outcome",
    "ticket",
    "article",
    "auto_replied",
    "sender",
    "subject",
    "error",
    "attempts",
    "processed_at",
]


def _file_one(inbound: InboundMessage) -> None:
    parsed = parse_message(bytes(inbound.raw))
    filed = file_message(inbound, parsed)
    inbound.status = InboundStatus.IGNORED if filed.ignored else InboundStatus.PROCESSED
    inbound.outcome = filed.outcome
    inbound.ticket = filed.ticket
    inbound.article = filed.article
    inbound.auto_replied = filed.auto_replied
    inbound.sender = parsed.from_email[:320]
    inbound.subject = parsed.subject[:500]
    inbound.error = ""
    inbound.attempts += 1
    inbound.processed_at = timezone.now()
    # Not the raw bytes: they never change.
    inbound.save(update_fields=_FILED_FIELDS)


def _describe(exc: BaseException) -> str:
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    text = f"{error}\n\n{traceback.format_exc(limit=8)}"[:10000]
    return text.replace("\x00", "\\x00").encode("utf-8", "replace").decode("utf-8")


def process_batch(ids: list[int]) -> int:
    """File stored messages in one transaction, each in its own savepoint; returns how many.

    A message that fails rolls back only its savepoint and is marked failed with its error; the
    others commit together (one commit per batch, not per message). Rows are claimed with
    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the queue.
    """
    done = 0
    with transaction.atomic():
        claimed = list(
            InboundMessage.objects.select_for_update(
                skip_locked=connection.features.has_select_for_update_skip_locked
            )
            .filter(pk__in=ids, status__in=[InboundStatus.RECEIVED, InboundStatus.FAILED])
            .order_by("pk")
        )
        for inbound in claimed:
            try:
                with transaction.atomic():
                    _file_one(inbound)
            except Exception as exc:
                log.warning("inbound mail %s failed", inbound.pk, exc_info=True)
                InboundMessage.objects.filter(pk=inbound.pk).update(
                    status=InboundStatus.FAILED,
                    error=_describe(exc),
                    attempts=inbound.attempts + 1,
                    processed_at=timezone.now(),
                )
            done += 1
    return done


def process(inbound_id: int) -> InboundMessage:
    """Parse and file one stored message; on any error keep it as failed with the error."""
    try:
        process_batch([inbound_id])
    except Exception as exc:
        # The transaction itself broke (e.g. the connection): record it where possible.
        log.warning("inbound mail %s could not be processed", inbound_id, exc_info=True)
        with transaction.atomic():
            InboundMessage.objects.filter(pk=inbound_id).update(
                status=InboundStatus.FAILED, error=_describe(exc), processed_at=timezone.now()
            )
    return InboundMessage.objects.get(pk=inbound_id)


def ingest(raw: bytes, *, source: str, mailbox: str = "") -> InboundMessage:
    """Store, then file at once (IMAP, LMTP, ``mail ingest --now``, tests)."""
    inbound, created = store_raw(raw, source=source, mailbox=mailbox)
    if created or inbound.status == InboundStatus.RECEIVED:
        inbound = process(inbound.pk)
    return inbound


def import_spool(spool: Path | None = None, *, batch: int = 100, limit: int = 1000) -> int:
    """Move spooled pipe messages into the database, a batch per commit; files are removed only
    after their commit (a crash in between stores them again, and dedup recognises them)."""
    folder = spool or settings.LAUFZETTEL_MAIL_SPOOL
    recover_claims(folder)
    count = 0
    while count < limit:
        claimed = claim(folder, batch)
        if not claimed:
            break
        _durable()
        with transaction.atomic():
            for path in claimed:
                _store(path.read_bytes(), Source.PIPE, "")
        for path in claimed:
            path.unlink(missing_ok=True)
        count += len(claimed)
    return count


def process_pending(limit: int = 1000, batch: int | None = None) -> int:
    """File stored messages that wait, ``LAUFZETTEL_MAIL_BATCH`` per transaction."""
    batch = batch or settings.LAUFZETTEL_MAIL_BATCH
    done = 0
    while done < limit:
        ids = list(InboundMessage.objects.pending().values_list("pk", flat=True)[: batch * 2])
        if not ids:
            break
        filed = 0
        for start in range(0, len(ids), batch):
            filed += process_batch(ids[start : start + batch])
        if not filed:  # everything listed is in other workers' hands
            break
        done += filed
    return done


def sweep(now: datetime) -> int:
    """The worker's mail job: spooled pipe messages in, then everything waiting filed."""
    return import_spool() + process_pending()
