"""Two agents on one ticket see each other; a page gone quiet no longer counts."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel


def test_presence_heartbeat(client, org, settings):
    settings.LAUFZETTEL_PRESENCE_SECONDS = 60
    ticket = lifecycle.create_ticket(
        contact=org.customer_a, subject="Drucker", body="…", channel=Channel.EMAIL
    )
    beat = reverse("desk:ticket_presence", args=[ticket.number])
    client.cookies["django_language"] = "en"
    client.force_login(org.first_level_agent)
    assert "Also on this ticket" not in client.post(beat).content.decode()

    client.force_login(org.second_level_agent)
    assert "Also on this ticket: Anna" in client.post(beat).content.decode()
    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert "Also on this ticket: Anna" in page  # the first paint already shows it

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert "Anna" not in client.post(beat).content.decode()
    client.force_login(org.first_level_agent)
    assert "Also on this ticket: Bernd" in client.post(beat).content.decode()
