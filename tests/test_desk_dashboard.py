"""The dashboard: figures a support lead looks at, drawn as SVG, in a fixed number of queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laufzettel.tickets import lifecycle
from laufzettel.tickets.lifecycle import Handover
from laufzettel.tickets.models import Channel


def fill(org, n: int) -> None:
    for i in range(n):
        t = lifecycle.create_ticket(
            contact=org.customer_a,
            subject=f"T{i}",
            body="…",
            channel=Channel.EMAIL,
            topic=org.topic_rz,
        )
        if i % 3 == 0:
            lifecycle.resolve(t, by=org.first_level_agent, resolution="ok")
        elif i % 3 == 1:
            lifecycle.escalate(
                t,
                by=org.first_level_agent,
                to_team=org.rechenzentrum,
                handover=Handover("a", "b", "c", "d"),
            )


def test_charts_and_query_count(client, org):
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    fill(org, 3)
    client.get(reverse("desk:dashboard"))
    with CaptureQueriesContext(connection) as few:
        text = client.get(reverse("desk:dashboard")).content.decode()
    for key in ("open-level", "open-topic", "solved-level", "time-level", "backlog-age"):
        assert f'id="chart-{key}"' in text
    assert text.count("<svg") >= 5 and "<rect" in text
    assert "1st level: 100 %" in text  # the one resolved ticket was solved at first level
    assert "Available when SLA tracking is set up." in text
    fill(org, 9)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("desk:dashboard"))
    assert len(many) == len(few)
