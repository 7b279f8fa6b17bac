"""The fixture generator writes rows the domain layer could have written, with few queries."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.generate import generate
from laufzettel.accounts.models import Contact
from laufzettel.lib.phone import normalize_phone
from laufzettel.outbox.models import OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import (
    OPEN_STATES,
    Article,
    ArticleKind,
    Event,
    EventKind,
    State,
    Ticket,
    TicketLink,
)

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
INTAKE_KIND = {
    "phone": ArticleKind.PHONE,
    "email": ArticleKind.EMAIL_IN,
    "portal": ArticleKind.PORTAL,
    "api": ArticleKind.API,
}


@pytest.fixture
def figures(db: None) -> dict[str, object]:
    # Several chunks, so rows that cross a chunk boundary (merges, ids) are covered.
    return generate(200, now=NOW, chunk_size=70)


def _by_ticket(model: type, order: tuple[str, ...] = ("created_at", "pk")) -> dict[int, list]:
    rows: dict[int, list] = defaultdict(list)
    for row in model.objects.order_by("ticket_id", *order):
        rows[row.ticket_id].append(row)
    return rows


def test_figures_count_the_rows_written(figures: dict[str, object]) -> None:
    assert figures["tickets"] == Ticket.objects.count() == 200
    assert figures["articles"] == Article.objects.count()
    assert figures["events"] == Event.objects.count()
    assert figures["outbound_emails"] == OutboundEmail.objects.count()
    assert figures["links"] == TicketLink.objects.count()
    assert sum(figures["states"].values()) == 200  # type: ignore[union-attr]
    assert figures["ratio"] == pytest.approx(figures["target_seconds"] / figures["seconds"], 0.05)


def test_every_ticket_has_its_contact_articles_and_creation_event(figures: object) -> None:
    articles, events = _by_ticket(Article), _by_ticket(Event)
    contacts = {c.pk: c for c in Contact.objects.prefetch_related("emails", "phones")}
    for t in Ticket.objects.all():
        contact = contacts[t.contact_id]
        assert t.organization_id == contact.organization_id is not None
        assert contact.primary_email.endswith(".example")
        [phone] = contact.phones.all()
        assert normalize_phone(phone.number) == phone.number  # E.164 already
        timeline = articles[t.pk]
        assert 2 <= len(timeline) <= 6, t
        intake, acknowledgement = timeline[0], timeline[1]
        assert intake.kind == INTAKE_KIND[t.channel]
        assert intake.created_at == t.created_at
        assert acknowledgement.kind == ArticleKind.EMAIL_OUT
        assert f"[Ticket#{t.number}]" in acknowledgement.subject
        log = events[t.pk]
        assert [e.kind for e in log].count(EventKind.CREATED) == 1
        assert log[0].kind == EventKind.CREATED
        assert log[0].to_state == State.NEW
        assert log[0].article_id == intake.pk
        assert (log[0].actor_user_id is None) == (t.channel != "phone")


def test_state_fields_version_and_events_agree(figures: object) -> None:
    events = _by_ticket(Event)
    window = timedelta(days=settings.LAUFZETTEL_FOLLOW_UP_DAYS)
    year_ago = NOW - timedelta(days=366)
    for t in Ticket.objects.select_related("team"):
        log = events[t.pk]
        # Each change after creation raised the version once and moved updated_at.
        assert t.version == len(log), t
        assert t.updated_at == log[-1].created_at
        assert year_ago < t.created_at <= t.updated_at <= NOW
        # The state transitions form one unbroken chain ending in the ticket's state.
        transitions = [(e.from_state, e.to_state) for e in log if e.to_state]
        assert transitions[0] == ("", State.NEW)
        for (_, before), (after_from, _) in pairwise(transitions):
            assert before == after_from, t
        assert transitions[-1][1] == t.state
        assert t.resolved_at is None or t.resolved_at + window == t.follow_up_until
        if t.state == State.RESOLVED:
            assert t.resolution and t.resolved_by_id and t.resolved_team_id
            assert t.follow_up_until > NOW
            assert t.closed_at is None
        elif t.state == State.CLOSED:
            assert t.resolved_at is not None
            assert t.follow_up_until <= t.closed_at <= NOW
        elif t.state == State.MERGED:
            assert TicketLink.objects.filter(source=t, target=t.merged_into, kind="duplicate")
            assert t.merged_into.created_at <= t.created_at
        else:
            assert t.state in OPEN_STATES
            assert t.resolved_at is t.follow_up_until is t.closed_at is None
        if t.state == State.WAITING_FOR_CUSTOMER:
            assert t.return_to_user_id and t.return_to_team_id
        if t.state == State.WAITING_FOR_VENDOR:
            assert t.return_to_team_id
        if t.owner_id:
            assert t.team.members.filter(pk=t.owner_id).exists()


def test_outgoing_mails_have_one_outbox_row_each(figures: object) -> None:
    mails = Article.objects.filter(kind=ArticleKind.EMAIL_OUT)
    assert OutboundEmail.objects.count() == mails.count()
    assert OutboundEmail.objects.filter(article__in=mails).count() == mails.count()
    assert OutboundEmail.objects.filter(sent_at__gt=NOW).count() == 0


def test_the_mix_looks_like_a_support_year(figures: dict[str, object]) -> None:
    states = figures["states"]
    assert isinstance(states, dict)
    assert states[State.CLOSED] > 150
    assert len(states) >= 3
    levels = set(Ticket.objects.values_list("team__level", flat=True))
    assert levels == {1, 2, 3}
    assert Ticket.objects.values("topic").distinct().count() >= 3
    assert Ticket.objects.values("priority").distinct().count() == 4
    assert Ticket.objects.values("channel").distinct().count() >= 3


def test_generated_tickets_go_on_through_the_life_cycle(figures: object) -> None:
    # Nothing is due: every resolved ticket's window is still open, every other one closed.
    assert lifecycle.close_due_tickets(now=NOW) == 0
    ticket = Ticket.objects.filter(state__in=OPEN_STATES).exclude(state=State.NEW).first()
    if ticket is None:
        ticket = Ticket.objects.filter(state=State.RESOLVED).first()
        assert ticket is not None
        ticket = lifecycle.reopen(
            ticket, by=ticket.resolved_by, reason="Doch nicht", expected_version=ticket.version
        )
    agent = ticket.team.members.first() or ticket.return_to_user
    done = lifecycle.resolve(
        ticket, by=agent, resolution="Erledigt.", expected_version=ticket.version
    )
    assert done.state == State.RESOLVED


def test_a_second_run_adds_tickets_and_its_queries_do_not_grow_with_size(
    figures: object,
) -> None:
    with CaptureQueriesContext(connection) as small:
        generate(20, now=NOW, seed=1, chunk_size=1000)
    with CaptureQueriesContext(connection) as large:
        generate(200, now=NOW, seed=2, chunk_size=1000)
    assert Ticket.objects.count() == 420
    assert Contact.objects.count() == 40 + 10 + 40
    # Rows go in bulk: ten times the tickets, the same statements (plus the links and affected
    # persons that the smaller run may not have had).
    assert len(small) <= len(large) <= len(small) + 2
