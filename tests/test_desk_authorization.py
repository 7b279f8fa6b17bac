"""Every desk and portal view, for every persona: who gets in, who is sent away, who sees 404.

The URL lists are checked against the URL configuration, so a new view cannot be added without
being placed in this matrix.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from laufzettel.desk import urls as desk_urls
from laufzettel.portal import urls as portal_urls
from laufzettel.portal.actions import open_ticket
from laufzettel.tickets.models import Ticket
from tests.portal_personas import portal_admin_contact, portal_login

PERSONAS = [
    "anonymous",
    "customer_a",
    "customer_b",
    "portal_admin",
    "first_level_agent",
    "other_team_agent",
    "admin",
]
AGENTS = {"first_level_agent", "other_team_agent", "admin"}
CUSTOMERS = {"customer_a", "customer_b", "portal_admin"}


@pytest.fixture
def ticket(org) -> Ticket:
    """Customer A's portal ticket with an attachment (so downloads are covered too)."""
    return open_ticket(
        contact=org.customer_a,
        subject="Telefon tot",
        description="Kein Ton.",
        topic=org.topic_tel,
        files=[SimpleUploadedFile("a.txt", b"a")],
    )


def sign_in(client, org, who: str) -> None:
    if who == "anonymous":
        return
    if who in AGENTS:
        client.force_login(getattr(org, who))
    elif who == "portal_admin":
        portal_login(client, portal_admin_contact(org), admin=True)
    else:
        portal_login(client, getattr(org, who))


def desk_gets(t: Ticket) -> list[str]:
    attachment = t.articles.get(attachments__isnull=False).attachments.get()
    return [
        reverse("desk:home"),
        reverse("desk:dashboard"),
        reverse("desk:queue", args=["teams"]),
        reverse("desk:queue_export", args=["mine"]),
        reverse("desk:totp_setup"),
        reverse("desk:phone_ticket"),
        reverse("desk:ticket", args=[t.number]),
        reverse("desk:ticket_attachment", args=[t.number, attachment.pk]),
    ]


def desk_posts(t: Ticket) -> list[str]:
    actions = [p.name for p in desk_urls.urlpatterns if p.name and p.name.startswith("ticket_")]
    actions = [a for a in actions if a not in ("ticket_attachment",)]
    return [
        reverse("desk:phone_ticket_create"),
        reverse("desk:bulk"),
        reverse("desk:totp_confirm"),
        *(reverse(f"desk:{name}", args=[t.number]) for name in actions),
    ]


def portal_ticket_gets(t: Ticket) -> list[str]:
    attachment = t.articles.get(attachments__isnull=False).attachments.get()
    return [
        reverse("portal:ticket", args=[t.number]),
        reverse("portal:attachment", args=[t.number, attachment.pk]),
    ]


def test_matrix_covers_every_url(ticket):
    desk_names = {p.name for p in desk_urls.urlpatterns}
    # Views of the login steps are for people who are not logged in yet; tested in test_desk_login.
    login_steps = {"login_code", "login_code_check"}
    covered = {
        "home",
        "dashboard",
        "queue",
        "queue_export",
        "totp_setup",
        "phone_ticket",
        "ticket",
        "ticket_attachment",
        "phone_ticket_create",
        "bulk",
        "totp_confirm",
    }
    covered |= {n for n in desk_names if n.startswith("ticket_")}
    assert desk_names - login_steps == covered
    portal_names = {p.name for p in portal_urls.urlpatterns}
    assert portal_names == {
        "home",
        "login",
        "send_link",
        "link",
        "enter",
        "logout",
        "new_ticket",
        "create_ticket",
        "ticket",
        "message",
        "attachment",
    }


@pytest.mark.parametrize("who", PERSONAS)
def test_desk_views(client, org, ticket, who):
    sign_in(client, org, who)
    version, articles = ticket.version, ticket.articles.count()
    for url in desk_gets(ticket):
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/login/"), url
        elif who in CUSTOMERS:
            assert response.status_code == 403, url
        else:
            assert response.status_code == 200, url
    for url in desk_posts(ticket):
        response = client.post(url, {"version": version, "body": "x", "owner": org.admin.pk})
        if who == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/login/"), url
        elif who in CUSTOMERS:
            assert response.status_code == 403, url
        else:
            assert response.status_code in (200, 302, 400), url
    if who not in AGENTS:
        ticket.refresh_from_db()
        assert ticket.version == version and ticket.articles.count() == articles


@pytest.mark.parametrize("who", PERSONAS)
def test_portal_views(client, org, ticket, who):
    sign_in(client, org, who)
    sees_ticket = who in ("customer_a", "portal_admin")
    signed_in = who in CUSTOMERS
    for url in [reverse("portal:home"), reverse("portal:new_ticket")]:
        response = client.get(url)
        if signed_in:
            assert response.status_code == 200, url
        else:
            assert response["Location"] == reverse("portal:login"), url
    for url in portal_ticket_gets(ticket):
        response = client.get(url)
        if sees_ticket:
            assert response.status_code == 200, url
        elif signed_in:
            assert response.status_code == 404, url  # not even its existence is revealed
        else:
            assert response["Location"] == reverse("portal:login"), url
    before = ticket.articles.count()
    response = client.post(reverse("portal:message", args=[ticket.number]), {"text": "Hallo"})
    ticket.refresh_from_db()
    if sees_ticket:
        assert response.status_code == 302 and ticket.articles.count() == before + 1
    else:
        assert response.status_code in (302, 404) and ticket.articles.count() == before
    response = client.post(
        reverse("portal:create_ticket"), {"subject": "Neu", "description": "Text"}
    )
    assert Ticket.objects.filter(subject="Neu").exists() == signed_in
    # The sign-in pages are open to everyone.
    assert client.get(reverse("portal:login")).status_code in (200, 302)
    assert client.get(reverse("portal:link", args=["abc"])).status_code == 200


def test_every_portal_change_refuses_get(client, org, ticket):
    portal_login(client, org.customer_a)
    for url in [
        reverse("portal:send_link"),
        reverse("portal:enter", args=["abc"]),
        reverse("portal:logout"),
        reverse("portal:create_ticket"),
        reverse("portal:message", args=[ticket.number]),
    ]:
        assert client.get(url).status_code == 405, url


def test_every_page_refuses_post(client, org, ticket):
    portal_login(client, org.customer_a)
    for url in [reverse("portal:home"), reverse("portal:new_ticket"), *portal_ticket_gets(ticket)]:
        assert client.post(url).status_code == 405, url
    client.force_login(org.first_level_agent)
    for url in desk_gets(ticket):
        assert client.post(url).status_code == 405, url
