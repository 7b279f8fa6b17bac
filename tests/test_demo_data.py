"""The demo data: the real organisation, tickets in every state, each with a genuine history."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from laufzettel.accounts.models import AgentProfile, Contact, ContactPhone, Level, Team
from laufzettel.ops.demo_data import DEMO_PASSWORD, DemoSummary, demo_logins, load_demo_data
from laufzettel.outbox.models import OutboundEmail
from laufzettel.tickets.models import Article, Event, EventKind, State, Ticket, TicketLink, Topic
from tests.conftest import PRODUCTION_PASSWORD_HASHERS

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[DemoSummary]:
    """Loaded once for this module, inside a transaction rolled back at its end.

    Each test runs in its own savepoint within it (as in Django's TestCase.setUpTestData), so
    loading the data once serves every read-only test here.
    """
    # Production's argon2, so the test below sees the hashes real demo users get.
    hashers = override_settings(PASSWORD_HASHERS=PRODUCTION_PASSWORD_HASHERS)
    with django_db_blocker.unblock(), transaction.atomic():
        with hashers:
            summary = load_demo_data()
        yield summary
        transaction.set_rollback(True)


def snapshot() -> dict[str, int]:
    models = (Ticket, Event, Article, OutboundEmail, Contact, ContactPhone, User, Team, Topic)
    return {model.__name__: model.objects.count() for model in models}


def test_every_state_is_present_and_counted(demo: DemoSummary, db: None) -> None:
    assert demo.created
    assert set(demo.tickets_by_state) == set(State.values)
    assert all(n > 0 for n in demo.tickets_by_state.values()), demo.tickets_by_state
    assert sum(demo.tickets_by_state.values()) == Ticket.objects.count() >= 25


def test_loading_again_writes_nothing(demo: DemoSummary, db: None) -> None:
    before = snapshot()

    again = load_demo_data()

    assert not again.created
    assert again.tickets_by_state == demo.tickets_by_state
    assert snapshot() == before


def test_every_ticket_has_a_consistent_history(demo: DemoSummary, db: None) -> None:
    now = timezone.now()

    for ticket in Ticket.objects.prefetch_related("events", "articles"):
        events = list(ticket.events.all())
        assert events and events[0].kind == EventKind.CREATED, ticket
        assert ticket.articles.all(), ticket
        times = [e.created_at for e in events]
        assert times == sorted(times), f"{ticket}: events out of order"
        assert times[-1] <= now
        # Every state change is in the log: following it from "new" ends in the ticket's state.
        state = State.NEW
        for event in events[1:]:
            if event.from_state:
                assert event.from_state == state, f"{ticket}: {event.kind} from {state}"
                state = event.to_state
        assert state == ticket.state, ticket


def test_tickets_went_through_the_three_levels(demo: DemoSummary, db: None) -> None:
    escalations = list(
        Event.objects.filter(kind=EventKind.ESCALATED).values_list("changes__level", flat=True)
    )
    assert [1, 2] in escalations and [2, 3] in escalations
    kinds = set(Event.objects.values_list("kind", flat=True))
    for kind in (
        EventKind.HANDED_BACK,
        EventKind.ASKED,
        EventKind.CUSTOMER_REPLIED,
        EventKind.WAITING_FOR_VENDOR,
        EventKind.VENDOR_REPLIED,
        EventKind.REPLIED,
        EventKind.REOPENED,
        EventKind.CLOSED,
        EventKind.MERGED,
        EventKind.LINKED,
        EventKind.FOLLOW_UP_CREATED,
    ):
        assert kind in kinds, kind
    assert Ticket.objects.filter(state=State.OPEN, team__level=Level.THIRD).exists()
    assert Ticket.objects.filter(state=State.WAITING_FOR_VENDOR, team__is_vendor=True).exists()
    assert TicketLink.objects.filter(kind="follow_up").exists()


def test_closing_happened_after_the_follow_up_window(demo: DemoSummary, db: None) -> None:
    now = timezone.now()

    closed = Ticket.objects.filter(state=State.CLOSED)
    assert closed
    for ticket in closed:
        assert ticket.follow_up_until <= ticket.closed_at <= now
        assert ticket.events.filter(kind=EventKind.CLOSED, actor_user=None).count() == 1
    # Still resolved means still inside the window: the worker will not close them at once.
    assert not Ticket.objects.due_for_closing(now).exists()


def test_the_organisation_and_its_people(demo: DemoSummary, db: None, settings: Any) -> None:
    intake = Team.objects.intake()
    assert intake.name == "Kundenbetreuung" and intake.level == Level.FIRST
    second = Team.objects.filter(level=Level.SECOND)
    assert {t.name for t in second} == {"Telefonie", "Rechenzentrum", "Managed IT Service"}
    assert all(t.public_name for t in second)
    third = Team.objects.filter(level=Level.THIRD)
    assert third.filter(name="Softwareentwicklung", is_vendor=False).exists()
    assert third.filter(is_vendor=True).exclude(vendor_email="").exists()
    for topic in Topic.objects.select_related("department"):
        assert topic.department is not None and topic.department.name == topic.name

    settings.PASSWORD_HASHERS = PRODUCTION_PASSWORD_HASHERS
    assert User.objects.get(username="anna").check_password(DEMO_PASSWORD)
    for login in demo_logins():
        user = User.objects.get(username=login.username)
        assert user.password.startswith("argon2$")
        assert AgentProfile.objects.filter(user=user).exists()
        if login.username != "admin":
            assert user.teams.exists() and not user.is_staff
    assert User.objects.get(username="admin").is_superuser

    assert Contact.objects.values("organization").distinct().count() >= 4
    assert all(E164.match(n) for n in ContactPhone.objects.values_list("number", flat=True))
    assert Contact.objects.filter(language="en").exists()
    assert Contact.objects.filter(emails=None).exists()  # a caller known only by phone
