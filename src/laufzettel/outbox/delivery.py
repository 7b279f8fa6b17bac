"""Deliver the outbox over SMTP: each message at most once per attempt, retried with back-off.

On PostgreSQL a message's row stays locked (``FOR UPDATE SKIP LOCKED``) while it is sent and
marked, so several workers share the queue without sending anything twice, and a killed worker's
lock vanishes with its connection. On SQLite one worker runs at a time (see ``worker_lock``), so
no claim is needed. Either way the one message in flight when a worker dies is sent again after a
restart, with its stable Message-ID; everything marked sent stays sent.
"""

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone

from laufzettel.outbox.models import PENDING_STATES, DeliveryState, OutboundEmail

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
FIRST_BACKOFF = timedelta(minutes=1)


@dataclass(frozen=True)
class Outcome:
    sent: bool
    permanent: bool = False
    answer: str = ""


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the first, second, third ... failed attempt, at most 6 hours."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


class SmtpSession:
    """One mail connection reused for a batch and reopened after an error."""

    def __init__(self) -> None:
        self._backend: BaseEmailBackend | None = None

    def send(self, mail: OutboundEmail) -> Outcome:
        message = EmailMultiAlternatives(
            subject=mail.subject,
            body=mail.body_text,
            from_email=mail.from_email,
            to=mail.to,
            headers={**mail.headers, "Message-ID": mail.message_id},
        )
        if mail.body_html:
            message.attach_alternative(mail.body_html, "text/html")
        try:
            if self._backend is None:
                self._backend = get_connection(fail_silently=False)
                self._backend.open()
            self._backend.send_messages([message])
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            answers = "; ".join(
                f"{addr}: {code} {_decode(msg)}" for addr, (code, msg) in exc.recipients.items()
            )
            return Outcome(sent=False, permanent=all(c >= 500 for c in codes), answer=answers)
        except smtplib.SMTPResponseException as exc:
            self.close()
            answer = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
            return Outcome(sent=False, permanent=exc.smtp_code >= 500, answer=answer)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            return Outcome(sent=False, answer=f"{type(exc).__name__}: {exc}")
        return Outcome(sent=True, answer="250 accepted")

    def close(self) -> None:
        if self._backend is not None:
            try:
                self._backend.close()
            except Exception:
                log.debug("closing the mail connection failed", exc_info=True)
            self._backend = None


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _apply(mail: OutboundEmail, outcome: Outcome, now: datetime) -> list[str]:
    mail.attempts += 1
    mail.last_error = "" if outcome.sent else outcome.answer[:2000]
    if outcome.sent:
        mail.state = DeliveryState.SENT
        mail.sent_at = now
    elif outcome.permanent or mail.attempts >= settings.LAUFZETTEL_OUTBOX_MAX_ATTEMPTS:
        mail.state = DeliveryState.FAILED
    else:
        mail.state = DeliveryState.RETRYING
        mail.next_attempt_at = now + backoff(mail.attempts)
    return ["attempts", "last_error", "state", "sent_at", "next_attempt_at"]


def _count(report: DeliveryReport, mail: OutboundEmail, outcome: Outcome) -> None:
    if mail.state == DeliveryState.SENT:
        report.sent += 1
    elif mail.state == DeliveryState.FAILED:
        report.failed += 1
        report.errors.append(f"{mail.message_id}: {outcome.answer}")
        log.warning("mail %s failed for good: %s", mail.message_id, outcome.answer)
    else:
        report.retrying += 1
        log.info("mail %s will be retried: %s", mail.message_id, outcome.answer)


def _deliver_locked(pk: int, session: SmtpSession, report: DeliveryReport) -> None:
    with transaction.atomic():
        mail = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, state__in=PENDING_STATES)
            .first()
        )
        if mail is None:  # another worker has it or has sent it
            report.skipped += 1
            return
        outcome = session.send(mail)
        mail.save(update_fields=_apply(mail, outcome, timezone.now()))
    _count(report, mail, outcome)


def _deliver_single_worker(pk: int, session: SmtpSession, report: DeliveryReport) -> None:
    mail = OutboundEmail.objects.filter(pk=pk, state__in=PENDING_STATES).first()
    if mail is None:
        report.skipped += 1
        return
    # No transaction while talking SMTP: on SQLite it would hold the database's write lock.
    outcome = session.send(mail)
    with transaction.atomic():
        mail.save(update_fields=_apply(mail, outcome, timezone.now()))
    _count(report, mail, outcome)


def deliver_due(now: datetime | None = None, *, batch_size: int = 100) -> DeliveryReport:
    """Send one batch of due messages and record each outcome right after its SMTP answer."""
    now = now or timezone.now()
    due = list(OutboundEmail.objects.due(now).values_list("pk", flat=True)[:batch_size])
    report = DeliveryReport()
    deliver = (
        _deliver_locked
        if connection.features.has_select_for_update_skip_locked
        else _deliver_single_worker
    )
    session = SmtpSession()
    try:
        for pk in due:
            deliver(pk, session, report)
    finally:
        session.close()
    return report
