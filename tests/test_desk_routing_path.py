"""The routing slip's path through levels and teams, folded quotes, merge and link actions."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from laufzettel.tickets import lifecycle
from laufzettel.tickets.lifecycle import Handover
from laufzettel.tickets.models import Channel, State, Ticket


def new(org, subject="Netz weg") -> Ticket:
    return lifecycle.create_ticket(
        contact=org.customer_a, subject=subject, body="…", channel=Channel.EMAIL
    )


def test_path_shows_each_team_with_its_time(client, org):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = new(org)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        lifecycle.escalate(
            ticket,
            by=org.first_level_agent,
            to_team=org.rechenzentrum,
            handover=Handover("a", "b", "c", "d"),
        )
    with time_machine.travel(start + timedelta(hours=5, minutes=30), tick=False):
        client.force_login(org.second_level_agent)
        client.cookies["django_language"] = "en"
        text = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    path = text[text.index('class="slip-path"') : text.index("</ol>", text.index("slip-path"))]
    assert path.index("Kundenbetreuung") < path.index("Rechenzentrum")
    assert "2 h 0 min" in path and "3 h 30 min so far" in path


def test_quoted_text_is_folded(client, org):
    ticket = new(org)
    lifecycle.record_customer_reply(
        ticket,
        contact=org.customer_a,
        body="Danke, geht wieder.\n\nAm 1. März schrieb Support:\n> Bitte neu starten.\n> Gruß",
    )
    client.force_login(org.first_level_agent)
    text = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert '<details class="quoted">' in text
    folded = text[text.index('<details class="quoted">') :]
    assert folded.index("&gt; Bitte neu starten.") < folded.index("</details>")
    assert text.index("Danke, geht wieder.") < text.index('<details class="quoted">')


def test_merge_and_link(client, org):
    keep, duplicate, other = new(org, "Behalten"), new(org, "Doppelt"), new(org, "Verwandt")
    client.force_login(org.first_level_agent)
    client.post(
        reverse("desk:ticket_link", args=[keep.number]),
        {"version": keep.version, "other": other.number, "kind": "related"},
    )
    assert keep.links_out.get().target == other
    client.post(
        reverse("desk:ticket_merge", args=[duplicate.number]),
        {"version": duplicate.version, "into": keep.number},
    )
    duplicate.refresh_from_db()
    assert duplicate.state == State.MERGED and duplicate.merged_into == keep
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("desk:ticket_merge", args=[other.number]),
        {"version": other.version, "into": "99999"},
        follow=True,
    )
    assert "There is no ticket with this number." in response.content.decode()
