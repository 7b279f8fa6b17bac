"""Two agents changing one ticket at the same moment: no update is lost.

PostgreSQL serialises them with the ticket's row lock, SQLite with IMMEDIATE transactions.
"""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from laufzettel.tickets import lifecycle
from laufzettel.tickets.lifecycle import StaleTicket
from laufzettel.tickets.models import Channel, Event, Ticket
from tests.conftest import Org


def run_in_threads(*jobs: Callable[[], object]) -> list[BaseException | object]:
    """Start all jobs together (a barrier), each on its own database connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[BaseException | object] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except BaseException as exc:  # reported to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def setup(transactional_db: None) -> tuple[Org, Ticket]:
    org = Org()
    ticket = lifecycle.create_ticket(
        contact=org.customer_a,
        subject="Gleichzeitig bearbeitet",
        body="Zwei Agenten, ein Ticket.",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )
    return org, ticket


def test_concurrent_changes_are_all_kept(setup):
    org, ticket = setup
    rounds = 15

    def notes(author):
        def job():
            for i in range(rounds):
                lifecycle.add_note(ticket.pk, by=author, body=f"{author.username} {i}")
            return "ok"

        return job

    def edits():
        for i in range(rounds):
            lifecycle.qualify(ticket.pk, by=org.first_level_agent, measures_taken=f"Schritt {i}")
        return "ok"

    results = run_in_threads(notes(org.first_level_agent), notes(org.second_level_agent), edits)
    assert results == ["ok", "ok", "ok"]
    ticket.refresh_from_db()
    # Every change raised the version once and wrote one event: none overwrote another.
    assert ticket.version == 1 + 3 * rounds
    assert Event.objects.filter(ticket=ticket).count() == 1 + 3 * rounds
    assert ticket.articles.filter(kind="note").count() == 2 * rounds
    assert ticket.measures_taken == f"Schritt {rounds - 1}"


def test_two_forms_from_one_version_only_one_wins(setup):
    org, ticket = setup
    seen = ticket.version

    def set_topic(topic):
        def job():
            return lifecycle.qualify(
                ticket.pk, by=org.first_level_agent, topic=topic, expected_version=seen
            )

        return job

    results = run_in_threads(set_topic(org.topic_rz), set_topic(org.topic_tel))
    stale = [r for r in results if isinstance(r, StaleTicket)]
    won = [r for r in results if isinstance(r, Ticket)]
    assert len(stale) == 1 and len(won) == 1, results
    ticket.refresh_from_db()
    assert ticket.topic == won[0].topic and ticket.version == seen + 1
