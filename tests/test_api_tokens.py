"""API tokens: stored hashed, shown once, revocable, last use recorded; the ``token`` command."""

import hashlib
import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from laufzettel.api.models import ApiToken, Scope, TokenKind
from laufzettel.api.tokens import (
    TokenError,
    create_customer_token,
    create_integration_token,
    create_personal_token,
    demo_integration_token,
)

API = "/api/v1"


class Callers:
    """A token per persona of the authorization matrix, each with an API client."""

    def __init__(self, org) -> None:
        self.org = org
        self.secrets = {
            "customer_a": create_customer_token(org.customer_a).secret,
            "customer_b": create_customer_token(org.customer_b).secret,
            "agent": create_personal_token(org.first_level_agent, name="anna cli").secret,
            "integration_read": create_integration_token("CRM", scope=Scope.READ).secret,
            "integration_write": create_integration_token("Monitoring", scope=Scope.WRITE).secret,
            "admin": create_personal_token(org.admin, name="admin", scope=Scope.ADMIN).secret,
        }

    def client(self, who: str | None) -> Client:
        headers = {"HTTP_HOST": "localhost"}
        if who is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.secrets[who]}"
        return Client(**headers)


def api_client(secret: str | None = None) -> Client:
    headers = {"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "en"}
    if secret:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return Client(**headers)


@pytest.fixture
def callers(org) -> Callers:
    return Callers(org)


def test_only_the_hash_of_a_token_is_stored_and_it_authenticates(org) -> None:
    new = create_personal_token(org.first_level_agent, name="laptop")
    row = ApiToken.objects.get(pk=new.token.pk)
    assert new.secret.startswith("lz_") and len(new.secret) > 40
    assert row.secret_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert new.secret not in {getattr(row, f.attname) for f in ApiToken._meta.fields}
    response = api_client(new.secret).get(f"{API}/me")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "anna"
    assert response.json()["scope"] == "write"


def test_a_wrong_or_revoked_token_is_401_problem(org) -> None:
    new = create_personal_token(org.first_level_agent, name="laptop")
    assert api_client(new.secret + "x").get(f"{API}/me").status_code == 401
    response = api_client(new.secret).delete(f"{API}/tokens/{new.token.pk}")
    assert response.status_code == 200 and response.json()["revoked_at"]
    refused = api_client(new.secret).get(f"{API}/me")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 401 and refused["WWW-Authenticate"].startswith("Bearer")


def test_last_use_is_recorded_at_most_once_a_minute(org, django_assert_num_queries) -> None:
    new = create_personal_token(org.first_level_agent, name="laptop")
    client = api_client(new.secret)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(f"{API}/me")
        first = ApiToken.objects.get(pk=new.token.pk).last_used_at
        assert first is not None
        clock.shift(timedelta(seconds=30))
        # One query: the token with its user; no write within the minute.
        with django_assert_num_queries(1):
            client.get(f"{API}/me")
        assert ApiToken.objects.get(pk=new.token.pk).last_used_at == first
        clock.shift(timedelta(seconds=31))
        client.get(f"{API}/me")
        assert ApiToken.objects.get(pk=new.token.pk).last_used_at > first


def test_personal_tokens_never_exceed_their_user(org) -> None:
    with pytest.raises(TokenError):
        create_personal_token(org.first_level_agent, name="x", scope=Scope.ADMIN)
    with pytest.raises(TokenError):
        create_customer_token(org.customer_a, scope=Scope.ADMIN)


def test_a_browser_session_of_an_agent_is_accepted_and_csrf_checked(org) -> None:
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    assert client.get(f"{API}/me").status_code == 401
    client.force_login(org.first_level_agent)
    me = client.get(f"{API}/me")
    assert me.status_code == 200 and me.json()["kind"] == "session"
    # A cross-site form post without the CSRF token must not create anything.
    response = client.post(f"{API}/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_the_token_command_prints_the_secret_once(org) -> None:
    out = io.StringIO()
    call_command("token", "create", "--user", "anna", "--name", "cli", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    assert secret.startswith("lz_")
    assert api_client(secret).get(f"{API}/me").json()["user"]["username"] == "anna"

    out = io.StringIO()
    call_command("token", "create", "--integration", "Nagios", "--scope", "read", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    me = api_client(secret).get(f"{API}/me").json()
    assert me == {
        "kind": "integration",
        "scope": "read",
        "user": me["user"],
        "contact": None,
    }
    assert me["user"]["username"] == "integration-nagios"

    out = io.StringIO()
    call_command("token", "create", "--contact", str(org.customer_a.pk), stdout=out)
    assert api_client(out.getvalue().split()[-1]).get(f"{API}/me").json()["contact"]["id"] == (
        org.customer_a.pk
    )

    out = io.StringIO()
    call_command("token", "list", stdout=out)
    listing = out.getvalue()
    assert "Nagios" in listing and secret not in listing

    token = ApiToken.objects.get(kind=TokenKind.INTEGRATION)
    call_command("token", "revoke", str(token.pk), stdout=io.StringIO())
    assert api_client(secret).get(f"{API}/me").status_code == 401


def test_the_demo_token_is_stable_and_works(org) -> None:
    secret = demo_integration_token()
    assert demo_integration_token() == secret
    assert ApiToken.objects.filter(kind=TokenKind.INTEGRATION).count() == 1
    assert api_client(secret).get(f"{API}/tickets").status_code == 200


def test_the_admin_creates_a_token_and_shows_the_secret_once(org) -> None:
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.admin)
    response = client.post(
        "/admin/api/apitoken/add/",
        {"kind": "integration", "name": "Telefonanlage", "scope": "write"},
        follow=True,
    )
    assert response.status_code == 200
    assert "adminform" not in response.context, response.context["adminform"].form.errors
    shown = [str(m) for m in response.context["messages"]]
    secret = next(m for m in shown if "lz_" in m).split()[-1]
    token = ApiToken.objects.get()
    assert token.user.username == "integration-telefonanlage"
    assert api_client(secret).get(f"{API}/me").json()["scope"] == "write"
    # A personal admin token for a plain agent is refused.
    refused = client.post(
        "/admin/api/apitoken/add/",
        {"kind": "personal", "name": "x", "scope": "admin", "user": org.first_level_agent.pk},
    )
    assert refused.status_code == 200 and ApiToken.objects.count() == 1
