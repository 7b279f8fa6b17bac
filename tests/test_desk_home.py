"""The agent's start page: open tickets of my teams, mine, and unassigned ones at my level."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laufzettel.desk.queues import HOME_ROWS, QUEUES
from laufzettel.tickets import lifecycle
from laufzettel.tickets.lifecycle import Handover
from laufzettel.tickets.models import Channel, Ticket

HOME = reverse("desk:home")


def login(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"  # assertions read English texts


def new_ticket(org, subject: str, contact=None) -> Ticket:
    return lifecycle.create_ticket(
        contact=contact or org.customer_a,
        subject=subject,
        body="…",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )


def escalate(org, ticket: Ticket, team) -> Ticket:
    return lifecycle.escalate(
        ticket,
        by=org.first_level_agent,
        to_team=team,
        handover=Handover(
            initial_situation="…",
            affected_persons_text="Alle",
            solution_attempts="…",
            measures_taken="…",
        ),
    )


def section(page: str, key: str) -> str:
    start = page.index(f'id="queue-{key}"')
    return page[start : page.index("</section>", start)]


@pytest.fixture
def tickets(org):
    """One ticket in each place that matters for Bernd (2nd level, Rechenzentrum)."""
    mine = escalate(org, new_ticket(org, "Bernds Ticket"), org.rechenzentrum)
    lifecycle.assign(mine, by=org.second_level_agent, owner=org.second_level_agent)
    team_queue = escalate(org, new_ticket(org, "Rechenzentrum-Queue"), org.rechenzentrum)
    other_team = escalate(org, new_ticket(org, "Telefonie-Queue"), org.telefonie)
    lifecycle.assign(other_team, by=org.other_team_agent, owner=org.other_team_agent)
    same_level_unassigned = escalate(org, new_ticket(org, "Telefonie frei"), org.telefonie)
    first_level = new_ticket(org, "Noch bei der Kundenbetreuung", org.customer_b)
    done = escalate(org, new_ticket(org, "Schon gelöst"), org.rechenzentrum)
    lifecycle.resolve(done, by=org.second_level_agent, resolution="ok")
    return {
        "mine": mine,
        "team_queue": team_queue,
        "other_team": other_team,
        "same_level_unassigned": same_level_unassigned,
        "first_level": first_level,
    }


def test_lists_of_a_second_level_agent(client, org, tickets):
    login(client, org.second_level_agent)
    page = client.get(HOME).content.decode()

    teams, mine, unassigned = (section(page, k) for k in ("teams", "mine", "unassigned"))
    assert "Bernds Ticket" in teams and "Rechenzentrum-Queue" in teams
    assert "Telefonie" not in teams
    assert "Bernds Ticket" in mine and "Rechenzentrum-Queue" not in mine
    assert "Rechenzentrum-Queue" in unassigned and "Telefonie frei" in unassigned
    assert "Bernds Ticket" not in unassigned and "Telefonie-Queue" not in unassigned
    assert "Noch bei der Kundenbetreuung" not in page  # first level is not Bernd's level
    assert "Schon gelöst" not in page  # resolved tickets are no work


def test_ticket_row_columns(client, org, tickets):
    login(client, org.second_level_agent)
    row_ticket = tickets["mine"]
    mine = section(client.get(HOME).content.decode(), "mine")
    assert f'href="/tickets/{row_ticket.number}/"' in mine
    for text in ["Bernds Ticket", "Müller Logistik GmbH", "Rechenzentrum", "open", "Bernd"]:
        assert text in mine, text
    assert "<time datetime=" in mine


def test_first_level_sees_the_intake_queue(client, org, tickets):
    login(client, org.first_level_agent)
    page = client.get(HOME).content.decode()
    assert "Noch bei der Kundenbetreuung" in section(page, "teams")
    assert "Noch bei der Kundenbetreuung" in section(page, "unassigned")
    assert "No open ticket is assigned to you." in section(page, "mine")


def test_query_count_does_not_grow_with_the_lists(client, org):
    login(client, org.second_level_agent)

    def fill(rounds: int) -> None:
        for i in range(rounds):
            mine = escalate(org, new_ticket(org, f"Meins {i}"), org.rechenzentrum)
            lifecycle.assign(mine, by=org.second_level_agent, owner=org.second_level_agent)
            escalate(org, new_ticket(org, f"Frei {i}", org.customer_b), org.telefonie)

    fill(2)
    client.get(HOME)  # warm up session and caches
    with CaptureQueriesContext(connection) as few:
        few_page = client.get(HOME).content.decode()
    fill(20)
    with CaptureQueriesContext(connection) as many:
        many_page = client.get(HOME).content.decode()

    # Every queue shows its first HOME_ROWS rows: mine, teams and unassigned are full now.
    assert many_page.count("<tr class=") >= few_page.count("<tr class=") + 3 * (HOME_ROWS - 2)
    assert len(many) == len(few), [q["sql"] for q in many]
    # Session, user, agent profile and one query per queue (rows and total in one); the SLA queue
    # needs none while there is no SLA data (issue 4).
    assert len(few) <= 3 + len(QUEUES)
