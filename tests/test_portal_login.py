"""Portal sign-in by emailed one-time link: hashed, single-use, expiring, mailed via the outbox."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from laufzettel.outbox.delivery import deliver_due
from laufzettel.outbox.models import OutboundEmail
from laufzettel.portal.actions import LINKS_PER_WINDOW
from laufzettel.portal.models import LoginLink, PortalAccount, hash_token

SEND = reverse("portal:send_link")


def link_in(mail: OutboundEmail) -> str:
    return re.search(r"http://testserver(/portal/login/link/[^/\s]+/)", mail.body_text).group(1)


def request_link(client, address: str) -> OutboundEmail | None:
    before = OutboundEmail.objects.count()
    response = client.post(SEND, {"email": address})
    assert response.status_code == 200
    assert "link-sent" in response.content.decode()
    mails = OutboundEmail.objects.order_by("pk")[before:]
    return mails[0] if mails else None


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def test_link_is_mailed_through_the_outbox_and_signs_in_once(en, org, smtp_sink):
    mail = request_link(en, "PETRA.MUELLER@mueller-logistik.example")
    assert mail is not None and mail.ticket is None and mail.to == [org.customer_a.primary_email]
    assert "Anmeldelink" in mail.subject  # the contact's language: German
    path = link_in(mail)
    token = path.rstrip("/").rsplit("/", 1)[1]
    stored = LoginLink.objects.get()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash

    # Delivered by the worker's delivery function to a real SMTP server.
    deliver_due()
    assert smtp_sink.wait_for(1)
    assert path in smtp_sink.messages[-1].get_content()

    # Opening the link changes nothing (mail scanners open links); the button signs in.
    assert en.get(path).status_code == 200
    assert LoginLink.objects.get().used_at is None
    response = en.post(path + "enter/")
    assert response["Location"] == reverse("portal:home")
    account = PortalAccount.objects.get(contact=org.customer_a)
    assert not account.user.has_usable_password() and not account.is_portal_admin
    assert en.get(reverse("portal:home")).status_code == 200

    en.post(reverse("portal:logout"))
    response = en.post(path + "enter/", follow=True)
    assert "no longer valid" in response.content.decode()
    assert en.get(reverse("portal:home"))["Location"] == reverse("portal:login")


def test_link_expires(en, org, settings):
    settings.LAUFZETTEL_PORTAL_LINK_MINUTES = 30
    path = link_in(request_link(en, org.customer_a.primary_email))
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = en.post(path + "enter/")
    assert response["Location"] == reverse("portal:login")
    assert en.get(reverse("portal:home"))["Location"] == reverse("portal:login")


def test_unknown_address_gets_the_same_answer_and_no_mail(en, org):
    assert request_link(en, "nobody@example.com") is None
    assert LoginLink.objects.count() == 0


def test_forged_token_is_refused(en, org):
    response = en.post(reverse("portal:enter", args=["x" * 43]))
    assert response["Location"] == reverse("portal:login")


def test_links_per_address_are_limited(en, org):
    for _ in range(LINKS_PER_WINDOW):
        assert request_link(en, org.customer_a.primary_email) is not None
    assert request_link(en, org.customer_a.primary_email) is None
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert request_link(en, org.customer_a.primary_email) is not None


def test_deactivated_account_gets_no_link(en, org):
    from laufzettel.portal.actions import account_for

    account = account_for(org.customer_a)
    PortalAccount.objects.filter(pk=account.pk).update(is_active=False)
    assert request_link(en, org.customer_a.primary_email) is None


def test_agents_are_not_portal_users(client, org):
    client.force_login(org.first_level_agent)
    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:login")
