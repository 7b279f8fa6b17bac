"""Who may use the desk: anonymous users log in, non-agents get 403, agents and admins get in.

Every desk URL is checked, and every mutating URL must refuse GET with 405.
"""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel

ACTIONS = [
    "qualify",
    "assign",
    "escalate",
    "hand_back",
    "ask",
    "wait_for_vendor",
    "reply",
    "note",
    "resolve",
    "reopen",
    "merge",
    "link",
]
# Not actions on the ticket's state: the page's heartbeat and the attachment download.
OTHER_TICKET_URLS = {"ticket_presence", "ticket_attachment"}


@pytest.fixture
def ticket(org):
    return lifecycle.create_ticket(
        contact=org.customer_a,
        subject="Telefonanlage stumm",
        body="Kein Freizeichen.",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )


def page_urls(number: str) -> list[str]:
    return [
        reverse("desk:home"),
        reverse("desk:phone_ticket"),
        reverse("desk:phone_ticket") + "?q=089+1234567",
        reverse("desk:ticket", args=[number]),
        reverse("desk:dashboard"),
        reverse("desk:queue", args=["teams"]),
        reverse("desk:queue", args=["mine"]) + "?sort=priority&level=1",
        reverse("desk:queue_export", args=["teams"]),
        reverse("desk:totp_setup"),
    ]


def mutating_urls(number: str) -> list[str]:
    return [
        reverse("desk:phone_ticket_create"),
        reverse("desk:bulk"),
        reverse("desk:ticket_presence", args=[number]),
        reverse("desk:totp_confirm"),
    ] + [reverse(f"desk:ticket_{action}", args=[number]) for action in ACTIONS]


def test_every_action_has_its_url(ticket):
    # The list above is the list of the desk's mutating URLs: a new action must be added to it.
    from laufzettel.desk.urls import urlpatterns

    names = {p.name for p in urlpatterns if p.name and p.name.startswith("ticket_")}
    names -= OTHER_TICKET_URLS
    assert names == {f"ticket_{a}" for a in ACTIONS}


def test_anonymous_is_sent_to_login(client, ticket):
    for url in page_urls(ticket.number):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url
    for url in mutating_urls(ticket.number):
        response = client.post(url, {"version": ticket.version})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_user_without_agent_profile_is_forbidden(client, ticket):
    outsider = User.objects.create_user("kunde", password="Geheim-123!")
    client.force_login(outsider)
    for url in page_urls(ticket.number):
        assert client.get(url).status_code == 403, url
    version = ticket.version
    for url in mutating_urls(ticket.number):
        assert client.post(url, {"version": version, "body": "x"}).status_code == 403, url
    ticket.refresh_from_db()
    assert ticket.version == version  # nothing changed


def test_forbidden_page_explains(client, ticket):
    client.force_login(User.objects.create_user("kunde", password="Geheim-123!"))
    client.cookies["django_language"] = "en"
    response = client.get(reverse("desk:home"))
    assert response.status_code == 403
    assert b"agent profile" in response.content


@pytest.mark.parametrize("who", ["agent", "second_level", "admin_with_profile", "bare_superuser"])
def test_agents_and_admins_get_in(client, org, ticket, who):
    user = {
        "agent": org.first_level_agent,
        "second_level": org.second_level_agent,
        "admin_with_profile": org.admin,
        "bare_superuser": None,
    }[who] or User.objects.create_superuser("root", password="Geheim-123!")
    client.force_login(user)
    for url in page_urls(ticket.number):
        assert client.get(url).status_code == 200, url


def test_unknown_ticket_is_404(client, org, ticket):
    client.force_login(org.first_level_agent)
    assert client.get(reverse("desk:ticket", args=[int(ticket.number) + 1])).status_code == 404
    assert client.get(reverse("desk:ticket", args=[1])).status_code == 404
    post = client.post(reverse("desk:ticket_note", args=[99999]), {"version": 1, "body": "x"})
    assert post.status_code == 404


def test_mutating_urls_refuse_get(client, org, ticket):
    client.force_login(org.first_level_agent)
    for url in mutating_urls(ticket.number):
        assert client.get(url).status_code == 405, url
    # Even anonymous: GET is never a way to change something.
    client.logout()
    for url in mutating_urls(ticket.number):
        assert client.get(url).status_code == 405, url


def test_page_urls_refuse_post(client, org, ticket):
    client.force_login(org.first_level_agent)
    for url in page_urls(ticket.number):
        assert client.post(url).status_code == 405, url


def test_login_page_and_redirect_to_desk(client, org):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "anna", "password": "Geheim-123!"})
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:home")
    assert client.get(reverse("desk:home")).status_code == 200
