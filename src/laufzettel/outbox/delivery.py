"""Deliver the outbox over SMTP, one message at a time, recording each outcome after its answer.

How a message is claimed depends on the database:

- PostgreSQL: the next due row is taken with ``SELECT … FOR UPDATE SKIP LOCKED`` and stays
  locked while it is sent and marked, so several workers share the queue without sending anything
  twice; a killed worker's lock vanishes with its connection and the row is due again.
- SQLite has no row locks: one worker runs at a time (``laufzettel.ops.worker.worker_lock``), so
  it reads the next due row without a claim, and holds no transaction while talking SMTP (that
  would keep the database's only write lock for the length of a mail conversation).

Either way exactly one message can be sent twice: the one whose server answered 250 when its
worker died before recording it. It is sent again with the same Message-ID, so the receiver can
recognise it. Everything recorded as sent stays sent.
"""

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone

from laufzettel.outbox.models import DeliveryState, OutboundEmail

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
FIRST_BACKOFF = timedelta(minutes=1)


@dataclass(frozen=True)
class Outcome:
    sent: bool
    permanent: bool = False
    answer: str = ""
    # No server answered (refused, timed out): the next messages would fare no better now.
    unreachable: bool = False


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    # The round stopped early because no mail server answered; the worker should pause.
    unreachable: bool = False

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed

    def count(self, mail: OutboundEmail, outcome: Outcome) -> None:
        if mail.delivery_state == DeliveryState.SENT:
            self.sent += 1
        elif mail.delivery_state == DeliveryState.FAILED:
            self.failed += 1
            self.errors.append(f"{mail.message_id}: {outcome.answer}")
            log.warning("mail %s failed for good: %s", mail.message_id, outcome.answer)
        else:
            self.retrying += 1
            log.info("mail %s will be retried: %s", mail.message_id, outcome.answer)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the first, second, third ... failed attempt, at most 6 hours."""
    # Capped before multiplying: with a high LAUFZETTEL_OUTBOX_MAX_ATTEMPTS, 2**n minutes would
    # overflow timedelta and the failure could never be recorded.
    doublings = min(max(attempts - 1, 0), 20)
    return min(FIRST_BACKOFF * (1 << doublings), MAX_BACKOFF)


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def build_message(mail: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=mail.from_email,
        to=mail.to,
        # The stored Message-ID, not a fresh one: a retry must be recognisable as the same mail.
        headers={**mail.headers, "Message-ID": mail.message_id},
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    return message


class SmtpSession:
    """One mail connection reused for a batch and reopened after an error."""

    def __init__(self) -> None:
        self._backend: BaseEmailBackend | None = None

    def send(self, mail: OutboundEmail) -> Outcome:
        try:
            if self._backend is None:
                backend = get_connection(fail_silently=False)
                try:
                    backend.open()
                except OSError as exc:
                    return Outcome(sent=False, answer=_describe(exc), unreachable=True)
                self._backend = backend
            if self._backend.send_messages([build_message(mail)]) != 1:
                return Outcome(sent=False, permanent=True, answer="no recipient address")
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
        except Exception as exc:
            # Dropped connections, but also surprises such as a header the mail library rejects:
            # retried with back-off and failed after the last attempt, so one bad row never
            # blocks the queue and never stops the worker.
            log.warning("sending mail %s raised", mail.message_id, exc_info=True)
            self.close()
            return Outcome(sent=False, answer=_describe(exc))
        return Outcome(sent=True, answer="250 accepted")

    def close(self) -> None:
        if self._backend is not None:
            try:
                self._backend.close()
            except Exception:
                log.debug("closing the mail connection failed", exc_info=True)
            self._backend = None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _record(mail: OutboundEmail, outcome: Outcome) -> None:
    now = timezone.now()
    mail.attempts += 1
    mail.last_error = "" if outcome.sent else outcome.answer[:2000]
    if outcome.sent:
        mail.delivery_state = DeliveryState.SENT
        mail.sent_at = now
    elif outcome.permanent or mail.attempts >= settings.LAUFZETTEL_OUTBOX_MAX_ATTEMPTS:
        mail.delivery_state = DeliveryState.FAILED
    else:
        mail.delivery_state = DeliveryState.RETRYING
        mail.next_attempt_at = now + backoff(mail.attempts)
    mail.save(
        update_fields=["attempts", "last_error", "delivery_state", "sent_at", "next_attempt_at"]
    )


Delivered = tuple[OutboundEmail, Outcome]


def _deliver_next_locked(now: datetime, session: SmtpSession) -> Delivered | None:
    with transaction.atomic():
        mail = OutboundEmail.objects.due(now).select_for_update(skip_locked=True).first()
        if mail is None:  # nothing due, or every due row is in another worker's hands
            return None
        outcome = session.send(mail)
        _record(mail, outcome)
    return mail, outcome


def _deliver_next_alone(now: datetime, session: SmtpSession) -> Delivered | None:
    mail = OutboundEmail.objects.due(now).first()
    if mail is None:
        return None
    outcome = session.send(mail)
    with transaction.atomic():
        _record(mail, outcome)
    return mail, outcome


def deliver_due(
    now: datetime | None = None,
    *,
    batch_size: int = 100,
    should_stop: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """Send up to ``batch_size`` due messages; ``should_stop`` is asked before each one."""
    now = now or timezone.now()
    deliver_next = (
        _deliver_next_locked
        if connection.features.has_select_for_update_skip_locked
        else _deliver_next_alone
    )
    report = DeliveryReport()
    session = SmtpSession()
    try:
        while report.handled < batch_size and not should_stop():
            delivered = deliver_next(now, session)
            if delivered is None:
                break
            mail, outcome = delivered
            report.count(mail, outcome)
            if outcome.unreachable:
                report.unreachable = True
                break
    finally:
        session.close()
    return report
