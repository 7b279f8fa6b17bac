"""The authorization matrix: every endpoint times every kind of caller, with the expected status.

Columns: no token, customer A (the ticket's organization), customer B (another organization),
a first-level agent's personal token, an integration token with scope read, one with scope
write, and an admin's token. Each cell runs against fresh objects so one success cannot change
the next cell's outcome.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from laufzettel.api.api import api
from laufzettel.api.models import WebhookSubscription
from laufzettel.api.tokens import create_personal_token
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Article, Attachment, Channel, Ticket, Visibility
from tests.test_api_tokens import Callers

CALLERS = (
    None,
    "customer_a",
    "customer_b",
    "agent",
    "integration_read",
    "integration_write",
    "admin",
)
HANDOVER = {
    "initial_situation": "NAS down since 8:00",
    "affected_persons_text": "the whole accounting team",
    "solution_attempts": "Power cycled the NAS",
    "measures_taken": "Customer informed",
}


class World:
    """Fresh objects for one cell of the matrix."""

    def __init__(self, org: Any, callers: Callers) -> None:
        self.org = org
        self.callers = callers

    def ticket(self) -> Ticket:
        return lifecycle.create_ticket(
            contact=self.org.customer_a,
            subject="NAS nicht erreichbar",
            body="Seit 8 Uhr ist das NAS nicht erreichbar.",
            channel=Channel.PHONE,
            by=self.org.first_level_agent,
        )


@dataclass
class Row:
    method: str
    path: str
    expected: tuple[int, ...]
    # Returns the path arguments and the body for one cell.
    prepare: Callable[[World], tuple[dict[str, Any], Any]] = lambda w: ({}, None)
    multipart: bool = False


def ticket_only(w: World) -> tuple[dict[str, Any], Any]:
    return {"number": w.ticket().number}, None


def with_body(body: Callable[[World], Any], prepare: Callable[[World], Any] = ticket_only):
    def run(w: World) -> tuple[dict[str, Any], Any]:
        args, _ = prepare(w)
        return args, body(w)

    return run


def escalated(w: World) -> tuple[dict[str, Any], Any]:
    t = w.ticket()
    lifecycle.escalate(
        t,
        by=w.org.first_level_agent,
        to_team=w.org.rechenzentrum,
        handover=lifecycle.Handover(**HANDOVER),
    )
    return {"number": t.number}, {"team_id": w.org.first_level.pk, "note": "Not for us"}


def resolved(w: World) -> tuple[dict[str, Any], Any]:
    t = w.ticket()
    lifecycle.resolve(t, by=w.org.first_level_agent, resolution="Restarted")
    return {"number": t.number}, {"reason": "Still broken"}


def two_tickets(field: str) -> Callable[[World], tuple[dict[str, Any], Any]]:
    def run(w: World) -> tuple[dict[str, Any], Any]:
        return {"number": w.ticket().number}, {field: int(w.ticket().number)}

    return run


def article(w: World) -> tuple[dict[str, Any], Any]:
    t = w.ticket()
    return {"number": t.number, "article_id": t.articles.order_by("pk").first().pk}, None


def attachment(w: World) -> tuple[dict[str, Any], Any]:
    t = w.ticket()
    a = Article.objects.filter(ticket=t).order_by("pk").first()
    assert a.visibility == Visibility.PUBLIC
    row = Attachment(article=a, name="log.txt", content_type="text/plain", size=5)
    row.file.save("log.txt", SimpleUploadedFile("log.txt", b"hello"), save=False)
    row.save()
    return {"number": t.number, "attachment_id": row.pk}, None


def contact(w: World) -> tuple[dict[str, Any], Any]:
    return {"contact_id": w.org.customer_a.pk}, None


def organization(w: World) -> tuple[dict[str, Any], Any]:
    return {"organization_id": w.org.org_a.pk}, None


def webhook(w: World) -> tuple[dict[str, Any], Any]:
    s = WebhookSubscription.objects.create(
        name="CRM", url="http://127.0.0.1:9/hook", secret="s", allow_private_network=True
    )
    return {"webhook_id": s.pk}, {"is_active": False}


def victim_token(w: World) -> tuple[dict[str, Any], Any]:
    new = create_personal_token(w.org.first_level_agent, name="victim")
    return {"token_id": new.token.pk}, None


#                      none cust_a cust_b agent int_r int_w admin
READ_ALL = (401, 200, 200, 200, 200, 200, 200)
READ_TICKET = (401, 200, 404, 200, 200, 200, 200)
AGENT_READ = (401, 403, 403, 200, 200, 200, 200)
AGENT_WRITE = (401, 403, 403, 200, 403, 200, 200)
AGENT_CREATE = (401, 403, 403, 201, 403, 201, 201)
ADMIN_ONLY = (401, 403, 403, 403, 403, 403, 200)

ROWS = [
    Row("GET", "/tickets", READ_ALL),
    Row(
        "POST",
        "/tickets",
        (401, 201, 403, 201, 403, 201, 201),
        lambda w: ({}, {"contact_id": w.org.customer_a.pk, "subject": "Fax", "body": "kaputt"}),
    ),
    Row("GET", "/tickets/{number}", READ_TICKET, ticket_only),
    Row("PATCH", "/tickets/{number}", AGENT_WRITE, with_body(lambda w: {"priority": "high"})),
    Row(
        "POST",
        "/tickets/{number}/qualify",
        AGENT_WRITE,
        with_body(lambda w: {"topic_id": w.org.topic_rz.pk}),
    ),
    Row(
        "POST",
        "/tickets/{number}/assign",
        AGENT_WRITE,
        with_body(lambda w: {"owner_id": w.org.first_level_agent.pk}),
    ),
    Row(
        "POST",
        "/tickets/{number}/escalate",
        AGENT_WRITE,
        with_body(lambda w: {"team_id": w.org.rechenzentrum.pk, "handover": HANDOVER}),
    ),
    Row("POST", "/tickets/{number}/hand-back", AGENT_WRITE, escalated),
    Row("POST", "/tickets/{number}/ask", AGENT_WRITE, with_body(lambda w: {"question": "Wo?"})),
    Row(
        "POST",
        "/tickets/{number}/resolve",
        AGENT_WRITE,
        with_body(lambda w: {"resolution": "Neu gestartet"}),
    ),
    Row("POST", "/tickets/{number}/reopen", AGENT_WRITE, resolved),
    Row("POST", "/tickets/{number}/merge", AGENT_WRITE, two_tickets("into")),
    Row(
        "POST",
        "/tickets/{number}/links",
        (401, 403, 403, 201, 403, 201, 201),
        two_tickets("other"),
    ),
    Row("GET", "/tickets/{number}/articles", READ_TICKET, ticket_only),
    Row(
        "POST",
        "/tickets/{number}/articles",
        (401, 201, 404, 201, 403, 201, 201),
        with_body(lambda w: {"kind": "reply", "body": "Danke!"}),
    ),
    Row(
        "POST",
        "/tickets/{number}/articles/{article_id}/attachments",
        AGENT_CREATE,
        article,
        multipart=True,
    ),
    Row("GET", "/tickets/{number}/attachments/{attachment_id}", READ_TICKET, attachment),
    Row("GET", "/tickets/{number}/events", AGENT_READ, ticket_only),
    Row("GET", "/contacts", AGENT_READ),
    Row("POST", "/contacts", AGENT_CREATE, lambda w: ({}, {"name": "Neue Person"})),
    Row("GET", "/contacts/{contact_id}", AGENT_READ, contact),
    Row("GET", "/organizations", AGENT_READ),
    Row("GET", "/organizations/{organization_id}", AGENT_READ, organization),
    Row("GET", "/teams", AGENT_READ),
    Row("GET", "/topics", READ_ALL),
    Row("GET", "/webhooks", ADMIN_ONLY),
    Row(
        "POST",
        "/webhooks",
        (401, 403, 403, 403, 403, 403, 201),
        lambda w: (
            {},
            {"name": "x", "url": "http://127.0.0.1:9/x", "allow_private_network": True},
        ),
    ),
    Row("GET", "/webhooks/{webhook_id}", ADMIN_ONLY, webhook),
    Row("PATCH", "/webhooks/{webhook_id}", ADMIN_ONLY, webhook),
    Row("DELETE", "/webhooks/{webhook_id}", (401, 403, 403, 403, 403, 403, 204), webhook),
    Row("GET", "/webhooks/{webhook_id}/deliveries", ADMIN_ONLY, webhook),
    Row("GET", "/me", READ_ALL),
    Row("GET", "/tokens", AGENT_READ),
    Row("POST", "/tokens", (401, 403, 403, 201, 403, 403, 201), lambda w: ({}, {"name": "x"})),
    Row("DELETE", "/tokens/{token_id}", (401, 403, 403, 200, 403, 404, 200), victim_token),
]


def row_id(row: Row) -> str:
    return f"{row.method} {row.path}"


def test_the_matrix_covers_every_endpoint_of_the_schema() -> None:
    schema = api.get_openapi_schema()
    operations = {
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, ops in schema["paths"].items()
        for method in ops
    }
    assert operations == {row_id(r) for r in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_authorization_matrix(org, row: Row) -> None:
    callers = Callers(org)
    world = World(org, callers)
    got = []
    for caller in CALLERS:
        args, body = row.prepare(world)
        path = "/api/v1" + row.path.format(**args)
        client = callers.client(caller)
        if row.multipart:
            upload = SimpleUploadedFile("log.txt", b"hello", content_type="text/plain")
            response = client.post(path, {"file": upload})
        elif row.method in ("GET", "DELETE"):
            response = client.generic(row.method, path)
        else:
            response = client.generic(
                row.method,
                path,
                data=json.dumps(body or {}),
                content_type="application/json",
            )
        got.append(response.status_code)
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", (caller, response)
    assert tuple(got) == row.expected, dict(zip(CALLERS, got, strict=True))
