"""Bulk actions on a queue selection: each ticket through the life cycle, stale ones refused."""

import pytest
from django.urls import reverse

from laufzettel.outbox.models import MailKind, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel, State, Ticket
from tests.conftest import make_agent

BULK = reverse("desk:bulk")


def new_ticket(org, subject, contact=None) -> Ticket:
    return lifecycle.create_ticket(
        contact=contact or org.customer_a, subject=subject, body="…", channel=Channel.EMAIL
    )


def pick(*tickets: Ticket) -> list[str]:
    return [f"{t.number}:{t.version}" for t in tickets]


@pytest.fixture
def agent(client, org):
    client.force_login(org.first_level_agent)
    client.cookies["django_language"] = "en"
    return client


def test_one_reply_to_many_customers(agent, org):
    a, b = new_ticket(org, "Ausfall A"), new_ticket(org, "Ausfall B", org.customer_b)
    response = agent.post(
        BULK,
        {
            "tickets": pick(a, b),
            "operation": "reply",
            "text": "Störung im Rechenzentrum, wir arbeiten daran.",
            "next": "/queues/teams/",
        },
        follow=True,
    )
    assert "Done for 2 tickets" in response.content.decode()
    replies = OutboundEmail.objects.filter(kind=MailKind.REPLY)
    assert sorted(r.to[0] for r in replies) == sorted(
        [org.customer_a.primary_email, org.customer_b.primary_email]
    )


def test_take_and_resolve(agent, org):
    a, b = new_ticket(org, "A"), new_ticket(org, "B")
    agent.post(BULK, {"tickets": pick(a, b), "operation": "take"})
    assert set(Ticket.objects.values_list("owner", flat=True)) == {org.first_level_agent.pk}
    a.refresh_from_db()
    b.refresh_from_db()
    agent.post(BULK, {"tickets": pick(a, b), "operation": "resolve", "text": "Behoben."})
    assert set(Ticket.objects.values_list("state", flat=True)) == {State.RESOLVED}


def test_assign_to_a_colleague(agent, org):
    a, b = new_ticket(org, "A"), new_ticket(org, "B")
    clara = make_agent("clara", org.first_level)
    agent.post(BULK, {"tickets": pick(a), "operation": "assign", "owner": clara.pk})
    a.refresh_from_db()
    assert a.owner == clara
    # The life cycle's rules hold in bulk too: only members of the ticket's team.
    response = agent.post(
        BULK, {"tickets": pick(b), "operation": "assign", "owner": org.admin.pk}, follow=True
    )
    assert "not a member of team Kundenbetreuung" in response.content.decode()


def test_stale_selection_is_refused_per_ticket(agent, org):
    a, b = new_ticket(org, "A"), new_ticket(org, "B")
    selection = pick(a, b)
    lifecycle.qualify(b, by=org.admin, subject="B (geändert)")  # a colleague changed B meanwhile
    response = agent.post(BULK, {"tickets": selection, "operation": "take"}, follow=True)
    text = response.content.decode()
    assert "Done for 1 tickets" in text and "changed by someone else" in text
    b.refresh_from_db()
    assert b.owner is None


def test_empty_selection_and_missing_text(agent, org):
    a = new_ticket(org, "A")
    text = agent.post(BULK, {"operation": "take"}, follow=True).content.decode()
    assert "Select at least one ticket" in text
    text = agent.post(BULK, {"tickets": pick(a), "operation": "resolve"}, follow=True)
    assert "required" in text.content.decode()
    a.refresh_from_db()
    assert a.state == State.NEW


def test_next_must_stay_on_this_site(agent, org):
    a = new_ticket(org, "A")
    response = agent.post(
        BULK, {"tickets": pick(a), "operation": "take", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("desk:home")
