"""Text modules: placeholders filled for the ticket, put into a reply box, with or without JS."""

import html

from django.urls import reverse

from laufzettel.desk.models import TextModule
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel


def test_module_is_filled_into_the_chosen_box(client, org):
    ticket = lifecycle.create_ticket(
        contact=org.customer_a, subject="Drucker", body="…", channel=Channel.EMAIL
    )
    module = TextModule.objects.create(
        name="Störung",
        body="Guten Tag {contact_name}, zu Ticket {ticket_number} ({ticket_subject}) von "
        "{organization}: wir arbeiten daran. {agent_name} {unknown}",
    )
    client.force_login(org.first_level_agent)
    page_url = reverse("desk:ticket", args=[ticket.number])
    text = html.unescape(client.get(page_url).content.decode())
    assert 'name="module"' in text and "Störung" in text

    text = html.unescape(client.get(f"{page_url}?into=reply&module={module.pk}").content.decode())
    expected = (
        f"Guten Tag Petra Müller, zu Ticket {ticket.number} (Drucker) von Müller Logistik GmbH: "
        "wir arbeiten daran. Anna {unknown}"
    )
    reply_box = text[text.index('id="reply-text"') :]
    assert reply_box[: reply_box.index("</textarea>")].endswith(expected)
    assert 'id="action-reply" open' in text
    # The other boxes stay empty; an unknown box or module is ignored.
    assert text.count(expected) == 1
    assert client.get(f"{page_url}?into=nonsense&module={module.pk}").status_code == 200
    assert client.get(f"{page_url}?into=reply&module=999").status_code == 200


def test_inactive_modules_are_not_offered(client, org):
    ticket = lifecycle.create_ticket(
        contact=org.customer_a, subject="Drucker", body="…", channel=Channel.EMAIL
    )
    TextModule.objects.create(name="Alt", body="x", is_active=False)
    client.force_login(org.first_level_agent)
    text = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert 'name="module"' not in text
