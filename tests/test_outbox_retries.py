"""Delivery against a real SMTP server that refuses: back-off, giving up, what the ticket shows."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from laufzettel.outbox.delivery import backoff, deliver_due
from laufzettel.outbox.models import DeliveryState, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Article, ArticleKind, Channel, Ticket
from tests.conftest import Org
from tests.smtp_sink import SmtpSink, free_port

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


def phone_ticket(org: Org, subject: str = "Telefonanlage Standort Nord") -> Ticket:
    return lifecycle.create_ticket(
        contact=org.customer_a,
        subject=subject,
        body="Seit heute früh keine Verbindung nach außen.",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )


def only_row() -> OutboundEmail:
    [row] = OutboundEmail.objects.all()
    return row


def answer_always(sink: SmtpSink, answer: str) -> list[str]:
    """Let the sink refuse every message; returns the Message-IDs it saw."""
    seen: list[str] = []

    def respond(message: EmailMessage) -> str:
        seen.append(str(message["Message-ID"]))
        return answer

    sink.respond = respond
    return seen


def test_transient_answers_back_off_and_keep_the_message_id(org, smtp_sink, clock):
    phone_ticket(org)
    seen = answer_always(smtp_sink, "451 4.3.0 try later")

    report = deliver_due()

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    row = only_row()
    assert row.delivery_state == DeliveryState.RETRYING
    assert row.attempts == 1
    assert row.next_attempt_at == START + timedelta(minutes=1)
    assert row.last_error == "451 4.3.0 try later"

    # Not due yet: nothing is tried before the back-off has passed.
    clock.shift(timedelta(seconds=59))
    assert deliver_due().handled == 0

    now = START + timedelta(minutes=1)
    for attempts, wait in ((2, 2), (3, 4), (4, 8)):
        clock.move_to(now)
        assert deliver_due().retrying == 1
        row.refresh_from_db()
        assert (row.delivery_state, row.attempts) == (DeliveryState.RETRYING, attempts)
        assert row.next_attempt_at == now + timedelta(minutes=wait)
        now = row.next_attempt_at

    smtp_sink.respond = None
    clock.move_to(now)
    assert deliver_due().sent == 1

    row.refresh_from_db()
    assert row.delivery_state == DeliveryState.SENT
    assert row.attempts == 5
    assert row.sent_at == now
    assert row.last_error == ""
    assert seen == [row.message_id] * 4
    assert smtp_sink.message_ids() == {row.message_id: 1}


def test_backoff_doubles_up_to_six_hours():
    minutes = [backoff(n) / timedelta(minutes=1) for n in (1, 2, 3, 4, 9, 10)]
    assert minutes == [1, 2, 4, 8, 256, 360]
    # Even a configured maximum of hundreds of attempts never overflows the date arithmetic.
    assert backoff(500) == timedelta(hours=6)


@pytest.mark.parametrize("stage", ["DATA", "RCPT"])
def test_permanent_answer_fails_at_once(org, rcpt_sink, clock, stage):
    phone_ticket(org)
    if stage == "DATA":
        rcpt_sink.respond = lambda message: "550 5.1.1 no such user"
    else:
        rcpt_sink.rcpt_answer = "550 5.1.1 no such user"

    report = deliver_due()

    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
    row = only_row()
    assert (row.delivery_state, row.attempts) == (DeliveryState.FAILED, 1)
    assert "550 5.1.1 no such user" in row.last_error
    assert report.errors == [f"{row.message_id}: {row.last_error}"]
    # Failed is final: a day later nothing is tried again.
    rcpt_sink.respond = None
    rcpt_sink.rcpt_answer = None
    clock.shift(timedelta(days=1))
    assert deliver_due().handled == 0
    assert rcpt_sink.messages == []


def test_gives_up_after_the_last_attempt(org, smtp_sink, clock, settings):
    settings.LAUFZETTEL_OUTBOX_MAX_ATTEMPTS = 3
    phone_ticket(org)
    answer_always(smtp_sink, "452 4.2.2 mailbox full")

    states = []
    for _ in range(3):
        deliver_due()
        row = only_row()
        states.append((row.delivery_state, row.attempts))
        clock.shift(timedelta(hours=1))

    assert states == [
        (DeliveryState.RETRYING, 1),
        (DeliveryState.RETRYING, 2),
        (DeliveryState.FAILED, 3),
    ]
    assert row.last_error == "452 4.2.2 mailbox full"
    clock.shift(timedelta(days=1))
    assert deliver_due().handled == 0


def test_server_down_is_retried_and_pauses_the_round(org, smtp_sink, clock, settings):
    first = phone_ticket(org, "Erstes Ticket")
    phone_ticket(org, "Zweites Ticket")
    settings.EMAIL_PORT = free_port()  # nothing listens there: connection refused

    report = deliver_due()

    # One attempt tells that the server is down; the next message is not tried against it.
    assert (report.retrying, report.unreachable) == (1, True)
    tried = OutboundEmail.objects.get(ticket=first)
    assert tried.delivery_state == DeliveryState.RETRYING
    assert tried.attempts == 1
    assert tried.next_attempt_at == START + timedelta(minutes=1)
    assert "ConnectionRefusedError" in tried.last_error
    assert OutboundEmail.objects.exclude(pk=tried.pk).get().attempts == 0

    settings.EMAIL_PORT = smtp_sink.port
    clock.shift(timedelta(minutes=1))
    assert deliver_due().sent == 2
    assert len(smtp_sink.message_ids()) == 2


def test_delivery_state_is_on_the_tickets_mail_article(
    org, smtp_sink, clock, django_assert_num_queries
):
    ticket = phone_ticket(org)
    lifecycle.ask_customer(ticket, by=org.first_level_agent, question="Welche Rufnummer?")
    replies = iter(["451 4.3.0 try later", None])
    smtp_sink.respond = lambda message: next(replies)

    deliver_due()

    # The timeline reads every mail article with its delivery in one query.
    with django_assert_num_queries(1):
        articles = list(
            Article.objects.filter(ticket=ticket, kind=ArticleKind.EMAIL_OUT)
            .select_related("delivery")
            .order_by("pk")
        )
        shown = [
            (a.delivery.delivery_state, a.delivery.attempts, a.delivery.last_error)
            for a in articles
        ]
    assert shown == [
        (DeliveryState.RETRYING, 1, "451 4.3.0 try later"),
        (DeliveryState.SENT, 1, ""),
    ]
    assert articles[1].delivery.sent_at == START


class RcptSink(SmtpSink):
    """Can also refuse recipients, as real servers do for unknown mailboxes."""

    def __init__(self) -> None:
        super().__init__()
        self.rcpt_answer: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"


@pytest.fixture
def rcpt_sink(settings: Any) -> Iterator[RcptSink]:
    sink = RcptSink()
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield sink
    finally:
        sink.stop()
