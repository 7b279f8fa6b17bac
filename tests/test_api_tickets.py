"""Tickets over the API: create (idempotent), list with filters and cursors, actions through the
life cycle with problem details, articles, attachments, the event log and rate limits."""

import json
import threading

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from laufzettel.api.models import Scope
from laufzettel.api.tokens import create_integration_token
from laufzettel.outbox.models import MailKind, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel, EventKind, State, Ticket
from tests.test_api_tokens import Callers, api_client

API = "/api/v1"
HANDOVER = {
    "initial_situation": "NAS down since 8:00",
    "affected_persons_text": "accounting",
    "solution_attempts": "Power cycled",
    "measures_taken": "Customer informed",
}


@pytest.fixture
def callers(org) -> Callers:
    return Callers(org)


def post(client, path: str, body: dict, **headers):
    return client.post(API + path, json.dumps(body), content_type="application/json", **headers)


def phone_ticket(org, contact=None) -> Ticket:
    return lifecycle.create_ticket(
        contact=contact or org.customer_a,
        subject="Telefonanlage klingelt nicht",
        body="Seit heute früh klingeln die Apparate nicht.",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )


def test_create_a_ticket_on_behalf_of_a_contact(org, callers) -> None:
    client = callers.client("integration_write")
    response = post(
        client,
        "/tickets",
        {
            "contact_id": org.customer_a.pk,
            "subject": "Monitoring: storage at 95%",
            "body": "Volume /data is 95% full.",
            "topic_id": org.topic_rz.pk,
            "priority": "high",
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    ticket = Ticket.objects.get(pk=int(data["number"]) - 10000)
    assert (ticket.channel, ticket.state, ticket.priority) == (Channel.API, State.NEW, "high")
    assert data["organization"]["name"] == org.org_a.name
    created = ticket.events.get()
    # The integration's own service user is the actor, so the log names the integration.
    assert (
        created.kind == EventKind.CREATED
        and created.actor_user.username == "integration-monitoring"
    )
    assert OutboundEmail.objects.filter(ticket=ticket, kind=MailKind.ACKNOWLEDGEMENT).exists()


def test_a_retried_create_with_the_same_idempotency_key_creates_one_ticket(org, callers) -> None:
    client = callers.client("agent")
    body = {"contact_id": org.customer_a.pk, "subject": "Fax", "body": "Das Fax geht nicht."}
    first = post(client, "/tickets", body, HTTP_IDEMPOTENCY_KEY="crm-4711")
    again = post(client, "/tickets", body, HTTP_IDEMPOTENCY_KEY="crm-4711")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    other = post(
        client, "/tickets", {**body, "subject": "Drucker"}, HTTP_IDEMPOTENCY_KEY="crm-4711"
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-key-reused")
    # Another caller's identical key is its own.
    mine = post(callers.client("admin"), "/tickets", body, HTTP_IDEMPOTENCY_KEY="crm-4711")
    assert mine.status_code == 201 and Ticket.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_ticket(postgres_only) -> None:
    from tests.conftest import Org

    org = Org()
    secret = create_integration_token("CRM", scope=Scope.WRITE).secret
    body = {"contact_id": org.customer_a.pk, "subject": "Fax", "body": "Das Fax geht nicht."}
    statuses: list[int] = []
    start = threading.Barrier(4)

    def send() -> None:
        try:
            start.wait()
            response = post(api_client(secret), "/tickets", body, HTTP_IDEMPOTENCY_KEY="k-1")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 4
    assert Ticket.objects.count() == 1


def test_invalid_payload_is_a_problem_with_field_errors(org, callers) -> None:
    response = post(callers.client("agent"), "/tickets", {"contact_id": org.customer_a.pk})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["title"]
    fields = {e["field"] for e in problem["errors"]}
    assert {"body.payload.subject", "body.payload.body"} <= fields


def test_an_illegal_transition_is_409_with_a_readable_reason(org, callers) -> None:
    ticket = phone_ticket(org)
    response = post(
        callers.client("agent"),
        f"/tickets/{ticket.number}/reopen",
        {"reason": "Customer called again"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("transition-not-allowed")
    assert f"Ticket {ticket.number} cannot be reopened while it is new." == problem["detail"]
    ticket.refresh_from_db()
    assert ticket.state == State.NEW


def test_a_stale_version_is_409_and_changes_nothing(org, callers) -> None:
    ticket = phone_ticket(org)
    client = callers.client("agent")
    stale = ticket.version
    ok = post(client, f"/tickets/{ticket.number}/qualify", {"topic_id": org.topic_rz.pk})
    assert ok.status_code == 200 and ok.json()["state"] == "open"
    response = post(
        client,
        f"/tickets/{ticket.number}/resolve",
        {"resolution": "Done", "expected_version": stale},
    )
    assert response.status_code == 409 and response.json()["type"].endswith("stale-version")
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN


def test_escalate_and_hand_back_through_the_api(org, callers) -> None:
    ticket = phone_ticket(org)
    client = callers.client("agent")
    missing = post(
        client,
        f"/tickets/{ticket.number}/escalate",
        {"team_id": org.rechenzentrum.pk, "handover": {**HANDOVER, "solution_attempts": " "}},
    )
    assert missing.status_code == 422
    response = post(
        client,
        f"/tickets/{ticket.number}/escalate",
        {"team_id": org.rechenzentrum.pk, "handover": HANDOVER, "expected_version": 1},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["team"] == {
        "id": org.rechenzentrum.pk,
        "name": "Rechenzentrum",
        "level": 2,
    }
    wrong = post(
        client, f"/tickets/{ticket.number}/hand-back", {"team_id": org.development.pk, "note": "x"}
    )
    assert wrong.status_code == 422 and wrong.json()["type"].endswith("invalid-target")
    back = post(
        client,
        f"/tickets/{ticket.number}/hand-back",
        {"team_id": org.first_level.pk, "note": "1st"},
    )
    assert back.status_code == 200 and back.json()["team"]["level"] == 1
    events = client.get(f"{API}/tickets/{ticket.number}/events").json()
    assert [e["kind"] for e in events] == ["created", "escalated", "handed_back"]
    assert events[1]["actor_user"]["username"] == "anna"


def test_ask_resolve_reopen_merge_and_link(org, callers) -> None:
    client = callers.client("agent")
    ticket, duplicate, related = phone_ticket(org), phone_ticket(org), phone_ticket(org)
    n = ticket.number
    assert (
        post(client, f"/tickets/{n}/assign", {"owner_id": org.first_level_agent.pk}).json()[
            "owner"
        ]["username"]
        == "anna"
    )
    outsider = post(client, f"/tickets/{n}/assign", {"owner_id": org.other_team_agent.pk})
    assert outsider.status_code == 422
    assert (
        post(client, f"/tickets/{n}/ask", {"question": "Welche Nebenstelle?"}).json()["state"]
        == "waiting_for_customer"
    )
    lifecycle.record_customer_reply(ticket, contact=org.customer_a, body="Die 12")
    assert (
        post(client, f"/tickets/{n}/resolve", {"resolution": "Port getauscht"}).json()["state"]
        == "resolved"
    )
    assert (
        post(client, f"/tickets/{n}/reopen", {"reason": "Wieder kaputt"}).json()["state"] == "open"
    )
    merged = post(client, f"/tickets/{duplicate.number}/merge", {"into": int(n)})
    assert merged.json()["state"] == "merged" and merged.json()["merged_into"] == n
    self_merge = post(client, f"/tickets/{n}/merge", {"into": int(n)})
    assert self_merge.status_code == 422
    linked = post(client, f"/tickets/{n}/links", {"other": int(related.number)})
    assert linked.status_code == 201 and linked.json()["target"] == related.number
    unknown = post(client, f"/tickets/{n}/links", {"other": 99999999})
    assert unknown.status_code == 422


def test_list_filters_and_cursor_pagination(org, callers, django_assert_max_num_queries) -> None:
    a_tickets = [phone_ticket(org) for _ in range(5)]
    b_ticket = phone_ticket(org, org.customer_b)
    lifecycle.qualify(a_tickets[0], by=org.first_level_agent, topic=org.topic_rz)
    client = callers.client("agent")

    def walk(query: str) -> list[str]:
        numbers, cursor = [], ""
        while True:
            # Token, tickets with everything they refer to: the same few queries for any page.
            with django_assert_max_num_queries(3):
                page = client.get(f"{API}/tickets?limit=2{query}{cursor}").json()
            numbers += [t["number"] for t in page["items"]]
            if not page["next_cursor"]:
                return numbers
            cursor = f"&cursor={page['next_cursor']}"

    everything = walk("")
    assert everything == sorted(everything, reverse=True) and len(everything) == 6
    assert walk("&order=updated")[-1] == a_tickets[0].number
    assert walk(f"&organization_id={org.org_b.pk}") == [b_ticket.number]
    assert walk("&state=open") == [a_tickets[0].number]
    assert set(walk("&state=new&state=open")) == set(everything)
    assert walk(f"&topic_id={org.topic_rz.pk}") == [a_tickets[0].number]
    bad = client.get(f"{API}/tickets?cursor=nonsense")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"


def test_a_customer_token_sees_only_its_organization(org, callers) -> None:
    mine, theirs = phone_ticket(org), phone_ticket(org, org.customer_b)
    lifecycle.add_note(mine, by=org.first_level_agent, body="interne Notiz")
    client = callers.client("customer_a")
    listed = client.get(f"{API}/tickets").json()["items"]
    assert [t["number"] for t in listed] == [mine.number]
    assert listed[0]["owner"] is None and listed[0]["solution_attempts"] is None
    assert client.get(f"{API}/tickets/{theirs.number}").status_code == 404
    assert client.get(f"{API}/tickets?organization_id={org.org_b.pk}").json()["items"] == []
    articles = client.get(f"{API}/tickets/{mine.number}/articles").json()
    assert "interne Notiz" not in [a["body_text"] for a in articles]
    # The customer's own message, and a ticket of their own.
    reply = post(client, f"/tickets/{mine.number}/articles", {"kind": "reply", "body": "Danke"})
    assert reply.status_code == 201 and reply.json()["author_contact"]["id"] == org.customer_a.pk
    note = post(client, f"/tickets/{mine.number}/articles", {"kind": "note", "body": "x"})
    assert note.status_code == 403
    created = post(client, "/tickets", {"subject": "Neu", "body": "Bitte helfen"})
    assert created.status_code == 201 and created.json()["contact"]["id"] == org.customer_a.pk


def test_articles_notes_phone_notes_and_attachments(org, callers) -> None:
    ticket = phone_ticket(org)
    client = callers.client("agent")
    note = post(client, f"/tickets/{ticket.number}/articles", {"kind": "note", "body": "intern"})
    assert note.status_code == 201 and note.json()["visibility"] == "internal"
    phone = post(
        client,
        f"/tickets/{ticket.number}/articles",
        {"kind": "phone", "body": "Kunde angerufen", "public": True},
    )
    assert phone.json()["kind"] == "phone" and phone.json()["visibility"] == "public"
    reply = post(client, f"/tickets/{ticket.number}/articles", {"kind": "reply", "body": "Hallo"})
    assert reply.status_code == 201 and reply.json()["kind"] == "email_out"
    article_id = phone.json()["id"]
    upload = client.post(
        f"{API}/tickets/{ticket.number}/articles/{article_id}/attachments",
        {"file": SimpleUploadedFile("../../protokoll.txt", b"Leitung 3 tot", "text/plain")},
    )
    assert upload.status_code == 201, upload.json()
    attachment = upload.json()
    assert attachment["name"] == "protokoll.txt" and attachment["size"] == 13
    download = callers.client("customer_a").get(
        f"{API}/tickets/{ticket.number}/attachments/{attachment['id']}"
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"Leitung 3 tot"
    assert "protokoll.txt" in download["Content-Disposition"]
    listed = client.get(f"{API}/tickets/{ticket.number}/articles").json()
    shown = next(a["attachments"] for a in listed if a["id"] == article_id)
    assert shown[0]["id"] == attachment["id"]


def test_rate_limit_per_token(org, settings) -> None:
    cache.clear()
    limited = create_integration_token("Loop", scope=Scope.READ, rate_limit=3).secret
    other = create_integration_token("Calm", scope=Scope.READ).secret
    client = api_client(limited)
    assert [client.get(f"{API}/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(f"{API}/me")
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Content-Type"] == "application/problem+json"
    assert api_client(other).get(f"{API}/me").status_code == 200


def test_contacts_directory(org, callers) -> None:
    client = callers.client("agent")
    created = post(
        client,
        "/contacts",
        {
            "name": "Jana Neu",
            "organization_id": org.org_a.pk,
            "phone": "089 555 0101",
            "email": "Jana@Mueller-Logistik.example",
        },
        HTTP_IDEMPOTENCY_KEY="c1",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["phones"] == ["+49895550101"]
    assert created.json()["emails"] == ["jana@mueller-logistik.example"]
    dup = post(client, "/contacts", {"name": "X", "email": "jana@mueller-logistik.example"})
    assert dup.status_code == 422 and dup.json()["errors"][0]["field"] == "body.payload.email"
    found = client.get(f"{API}/contacts?phone=+49 89 555 0101").json()["items"]
    assert [c["name"] for c in found] == ["Jana Neu"]
    teams = client.get(f"{API}/teams").json()
    assert [t["level"] for t in teams] == sorted(t["level"] for t in teams)
