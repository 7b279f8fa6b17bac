"""Outgoing webhooks against a real HTTP server on loopback: signed, retried, logged, SSRF-safe."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone

from laufzettel.api.models import DeliveryState, WebhookDelivery, WebhookSubscription
from laufzettel.api.webhooks import deliver_due_webhooks
from laufzettel.ops.worker import ROUND_JOBS, run_once
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel
from tests.test_api_tokens import Callers

API = "/api/v1"


class Receiver:
    """A webhook receiver: records each request and answers with the next scripted status."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/laufzettel?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def subscribe(receiver: Receiver, kinds: list[str], allow: bool = True) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        name="CRM",
        url=receiver.url,
        event_kinds=kinds,
        secret="geheim",
        allow_private_network=allow,
    )


def new_ticket(org):
    return lifecycle.create_ticket(
        contact=org.customer_a,
        subject="NAS weg",
        body="Seit 8 Uhr.",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )


def test_the_worker_runs_the_webhook_job() -> None:
    assert deliver_due_webhooks in ROUND_JOBS


def test_a_subscribed_event_is_posted_signed(org, receiver) -> None:
    subscribe(receiver, ["created", "resolved"])
    ticket = new_ticket(org)
    lifecycle.qualify(ticket, by=org.first_level_agent, topic=org.topic_rz)  # not subscribed
    lifecycle.resolve(ticket, by=org.first_level_agent, resolution="Neu gestartet")
    assert [d.event_kind for d in WebhookDelivery.objects.order_by("pk")] == [
        "created",
        "resolved",
    ]
    assert run_once() >= 2
    assert len(receiver.requests) == 2
    headers, body = receiver.requests[1]
    assert headers["X-Laufzettel-Event"] == "resolved"
    timestamp = headers["X-Laufzettel-Timestamp"]
    expected = hmac.new(b"geheim", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Laufzettel-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "resolved" and payload["ticket"]["number"] == ticket.number
    assert payload["to_state"] == "resolved"
    assert payload["delivery_id"] == int(headers["X-Laufzettel-Delivery"])
    assert set(WebhookDelivery.objects.values_list("delivery_state", flat=True)) == {"delivered"}


def test_failures_are_retried_with_back_off_then_logged(org, receiver, callers) -> None:
    subscription = subscribe(receiver, ["created"])
    receiver.statuses = [503, 500, 200]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        new_ticket(org)
        assert deliver_due_webhooks() == 1
        delivery = WebhookDelivery.objects.get()
        assert (delivery.delivery_state, delivery.attempts, delivery.last_status) == (
            DeliveryState.RETRYING,
            1,
            503,
        )
        assert delivery.next_attempt_at == timezone.now() + timedelta(minutes=1)
        assert deliver_due_webhooks() == 0  # not yet due
        clock.shift(timedelta(minutes=1))
        assert deliver_due_webhooks() == 1
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == timezone.now() + timedelta(minutes=2)
        clock.shift(timedelta(minutes=2))
        deliver_due_webhooks()
    delivery.refresh_from_db()
    assert (delivery.delivery_state, delivery.attempts) == (DeliveryState.DELIVERED, 3)
    # The same delivery id every time: the receiver can drop duplicates.
    assert len({h["X-Laufzettel-Delivery"] for h, _ in receiver.requests}) == 1
    log = callers.client("admin").get(f"{API}/webhooks/{subscription.pk}/deliveries").json()
    assert log[0]["attempts"] == 3 and log[0]["delivery_state"] == "delivered"
    assert (
        callers.client("agent").get(f"{API}/webhooks/{subscription.pk}/deliveries").status_code
        == 403
    )


def test_a_refusing_receiver_fails_the_delivery_for_good(org, receiver) -> None:
    subscribe(receiver, [])
    receiver.statuses = [410]
    new_ticket(org)
    deliver_due_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.delivery_state, delivery.last_status) == (DeliveryState.FAILED, 410)


def test_loopback_targets_are_refused_unless_an_admin_allows_them(org, receiver, callers) -> None:
    client = callers.client("admin")

    def create(allow: bool):
        body = {"name": "CRM", "url": receiver.url, "event_kinds": ["created"]}
        return client.post(
            f"{API}/webhooks",
            json.dumps({**body, "allow_private_network": allow}),
            content_type="application/json",
        )

    refused = create(False)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.payload.url"
    for url in ("http://169.254.169.254/latest", "http://10.0.0.1/", "ftp://example.com/"):
        bad = client.post(
            f"{API}/webhooks",
            json.dumps({"name": "x", "url": url}),
            content_type="application/json",
        )
        assert bad.status_code == 422, url
    unknown = client.post(
        f"{API}/webhooks",
        json.dumps({"name": "x", "url": receiver.url, "event_kinds": ["exploded"]}),
        content_type="application/json",
    )
    assert unknown.status_code == 422
    allowed = create(True)
    assert allowed.status_code == 201 and len(allowed.json()["secret"]) > 20

    # A subscription whose allowance is withdrawn later is refused at delivery time, unsent.
    WebhookSubscription.objects.update(allow_private_network=False)
    new_ticket(org)
    deliver_due_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.delivery_state == DeliveryState.FAILED
    assert "private" in delivery.last_error and receiver.requests == []


def test_inactive_subscriptions_get_nothing(org, receiver) -> None:
    subscription = subscribe(receiver, [])
    subscription.is_active = False
    subscription.save()
    new_ticket(org)
    assert not WebhookDelivery.objects.exists()


@pytest.fixture
def callers(org) -> Callers:
    return Callers(org)
