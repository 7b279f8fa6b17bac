"""Shared fixtures: the named personas of STYLE.md and real servers (SMTP on loopback)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User

from laufzettel.accounts.actions import create_contact
from laufzettel.accounts.models import AgentProfile, Contact, Level, Organization, Team
from laufzettel.tickets.models import Topic
from tests.smtp_sink import SmtpSink

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
REQUIRE_SERVICES = os.environ.get("LAUFZETTEL_REQUIRE_SERVICES") == "1"
# Production's hashers, before the fast test hasher replaces them (see test_security_settings).
PRODUCTION_PASSWORD_HASHERS = list(django_settings.PASSWORD_HASHERS)


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    # The manifest storage of production needs collectstatic; pages render without it in tests.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Argon2 costs a second per persona; tests that check hashing restore it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def skip_or_fail(reason: str) -> None:
    """A missing server skips on a user's machine, fails in CI (LAUFZETTEL_REQUIRE_SERVICES=1)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        skip_or_fail(f"{SHARED} is missing (it holds the design and the mail corpus)")
    return SHARED


@pytest.fixture
def postgres_only(django_db_blocker: object) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        if REQUIRE_SERVICES and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("DATABASE_URL names PostgreSQL but the connection is not PostgreSQL")
        pytest.skip("runs in the PostgreSQL pass of the suite (set DATABASE_URL)")


@pytest.fixture
def smtp_sink(settings: object) -> Iterator[SmtpSink]:
    """A real SMTP server on loopback; Django's mail settings point at it."""
    sink = SmtpSink()
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
    settings.EMAIL_PORT = sink.port  # type: ignore[attr-defined]
    settings.EMAIL_USE_TLS = False  # type: ignore[attr-defined]
    settings.EMAIL_USE_SSL = False  # type: ignore[attr-defined]
    try:
        yield sink
    finally:
        sink.stop()


# --- personas ----------------------------------------------------------------------------------


def make_agent(username: str, *teams: Team, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username=username,
        password="Geheim-123!",
        first_name=username.capitalize(),
        is_staff=superuser,
        is_superuser=superuser,
    )
    AgentProfile.objects.create(user=user)
    for team in teams:
        team.members.add(user)
    return user


class Org:
    """The support organisation of DESIGN §1, as plain attributes for tests."""

    def __init__(self) -> None:
        self.first_level = Team.objects.create(
            name="Kundenbetreuung", level=Level.FIRST, is_intake=True
        )
        self.telefonie = Team.objects.create(name="Telefonie", level=Level.SECOND)
        self.rechenzentrum = Team.objects.create(
            name="Rechenzentrum",
            level=Level.SECOND,
            public_name="bei unseren Rechenzentrums-Spezialisten",
        )
        self.development = Team.objects.create(name="Softwareentwicklung", level=Level.THIRD)
        self.vendor = Team.objects.create(
            name="Hersteller Storage",
            level=Level.THIRD,
            is_vendor=True,
            vendor_email="support@vendor.example",
        )
        self.topic_rz = Topic.objects.create(name="Rechenzentrum", department=self.rechenzentrum)
        self.topic_tel = Topic.objects.create(name="Telefonie", department=self.telefonie)
        self.first_level_agent = make_agent("anna", self.first_level)
        self.second_level_agent = make_agent("bernd", self.rechenzentrum)
        self.other_team_agent = make_agent("tom", self.telefonie)
        self.admin = make_agent("admin", superuser=True)
        self.org_a = Organization.objects.create(name="Müller Logistik GmbH")
        self.org_b = Organization.objects.create(name="Schmidt Bau AG")
        self.customer_a = make_contact(
            "Petra Müller", self.org_a, "petra.mueller@mueller-logistik.example", "+49 89 1234567"
        )
        self.customer_b = make_contact(
            "Stefan Schmidt", self.org_b, "s.schmidt@schmidt-bau.example", "+49 30 7654321"
        )


def make_contact(
    name: str, org: Organization | None, email: str = "", phone: str = "", language: str = "de"
) -> Contact:
    return create_contact(name, organization=org, email=email, phone=phone, language=language)


@pytest.fixture
def org(db: None) -> Org:
    return Org()
