"""Desk login: rate-limited per user name and address; a second factor for those who set it up."""

from datetime import timedelta

import pyotp
import time_machine
from django.urls import reverse
from django.utils import timezone

from laufzettel.desk.models import AgentTOTP

LOGIN = reverse("login")


def attempt(client, password: str, username: str = "anna"):
    return client.post(LOGIN, {"username": username, "password": password})


def test_failed_logins_lock_the_name_for_a_while(client, org, settings):
    settings.LAUFZETTEL_LOGIN_MAX_FAILURES = 3
    settings.LAUFZETTEL_LOGIN_WINDOW_MINUTES = 15
    client.cookies["django_language"] = "en"
    for _ in range(3):
        assert attempt(client, "falsch").status_code == 200
    # Even the right password is refused while the name is locked.
    response = attempt(client, "Geheim-123!")
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()
    assert attempt(client, "Geheim-123!", "bernd").status_code == 302  # others are not locked
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert attempt(client, "Geheim-123!").status_code == 302


def test_one_address_cannot_try_many_names(client, org, settings):
    settings.LAUFZETTEL_LOGIN_MAX_FAILURES = 2
    for i in range(8):
        attempt(client, "falsch", f"user{i}")
    assert attempt(client, "Geheim-123!", "bernd").status_code == 429


def test_totp_setup_and_login(client, org):
    client.cookies["django_language"] = "en"
    client.force_login(org.admin)
    page = client.get(reverse("desk:totp_setup")).content.decode()
    secret = AgentTOTP.objects.get(user=org.admin).secret
    assert secret in page and "otpauth://" in page
    client.post(reverse("desk:totp_confirm"), {"code": "000000"})
    assert not AgentTOTP.objects.get(user=org.admin).confirmed
    client.post(reverse("desk:totp_confirm"), {"code": pyotp.TOTP(secret).now()})
    assert AgentTOTP.objects.get(user=org.admin).confirmed
    client.logout()

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        response = attempt(client, "Geheim-123!", "admin")
        assert response["Location"] == reverse("desk:login_code")
        assert client.get(reverse("desk:home")).status_code == 302  # not logged in yet
        check = reverse("desk:login_code_check")
        assert client.post(check, {"code": "123456"}).status_code == 400
        code = pyotp.TOTP(secret).now()
        response = client.post(check, {"code": code})
        assert response.status_code == 302
        assert client.get(reverse("desk:home")).status_code == 200
        # A code is good for one login only.
        client.logout()
        attempt(client, "Geheim-123!", "admin")
        assert client.post(check, {"code": code}).status_code == 400


def test_code_step_needs_the_password_step(client, org):
    assert client.get(reverse("desk:login_code"))["Location"] == LOGIN
    assert client.post(reverse("desk:login_code_check"), {"code": "1"})["Location"] == LOGIN
