"""Outgoing webhooks: rows written with each ticket change, POSTed by the worker, signed.

``queue_deliveries`` is hooked on every ticket change (``tickets.hooks``) and writes one
``WebhookDelivery`` per interested subscription inside the change's transaction, so a rolled-back
change sends nothing. ``deliver_due_webhooks`` is a worker job: it claims a due row (``SKIP
LOCKED`` on PostgreSQL; a conditional update of its due time elsewhere, which doubles as a lease
so a killed worker's row comes back), posts it, and records the answer with back-off.

Each request carries ``X-Laufzettel-Signature: sha256=<hex>``, the HMAC-SHA256 with the
subscription's secret over ``<timestamp>.<body>``, with the timestamp in
``X-Laufzettel-Timestamp``; ``X-Laufzettel-Delivery`` is stable across retries.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from laufzettel.api.models import DeliveryState, WebhookDelivery, WebhookSubscription
from laufzettel.outbox.delivery import backoff
from laufzettel.tickets.models import Event, EventKind, Ticket

log = logging.getLogger(__name__)

# How long a claimed row stays away from other workers on SQLite (longer than any request).
LEASE = timedelta(minutes=5)
MAX_ANSWER = 500
USER_AGENT = "Laufzettel-Webhooks/1"
EVENT_KINDS = set(EventKind.values)


class UnsafeTarget(ValueError):
    """A target address the server must not call (SSRF); ``str()`` says why."""


# --- queueing, inside the ticket change --------------------------------------------------------


def payload_for(ticket: Ticket, event: Event) -> dict[str, Any]:
    return {
        "event": event.kind,
        "event_id": event.pk,
        "occurred_at": event.created_at,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "changes": event.changes,
        "ticket": {
            "number": ticket.number,
            "subject": ticket.subject,
            "state": ticket.state,
            "priority": ticket.priority,
            "channel": ticket.channel,
            "team_id": ticket.team_id,
            "owner_id": ticket.owner_id,
            "organization_id": ticket.organization_id,
            "contact_id": ticket.contact_id,
            "topic_id": ticket.topic_id,
            "version": ticket.version,
        },
    }


def queue_deliveries(ticket: Ticket, event: Event) -> None:
    """The ticket-change hook: one delivery row per active subscription that wants this kind."""
    subscriptions = [
        s for s in WebhookSubscription.objects.filter(is_active=True) if s.wants(event.kind)
    ]
    if not subscriptions:
        return
    payload = json.loads(json.dumps(payload_for(ticket, event), cls=DjangoJSONEncoder))
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=s,
            event=event,
            ticket=ticket,
            event_kind=event.kind,
            payload=payload,
            next_attempt_at=now,
        )
        for s in subscriptions
    )


# --- SSRF checks -------------------------------------------------------------------------------


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_target(url: str, *, allow_private: bool) -> tuple[str, str, int, str]:
    """Check a webhook URL; return (scheme, host, port, address to connect to).

    The address is resolved once here and then connected to directly, so a DNS answer that
    changes between check and request (DNS rebinding) cannot redirect us inside the network.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget(_("The webhook URL must be an http or https URL with a host."))
    if parts.username or parts.password:
        raise UnsafeTarget(_("The webhook URL must not contain a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget(_("The webhook URL has an invalid port.")) from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTarget(
            _("The host %(host)s cannot be resolved.") % {"host": parts.hostname}
        ) from None
    addresses = [str(info[4][0]) for info in infos]
    if not allow_private:
        blocked = [a for a in addresses if not _is_public(a)]
        if blocked:
            raise UnsafeTarget(
                _(
                    "%(host)s resolves to a loopback, link-local or private address (%(address)s); "
                    "an administrator must allow private addresses for this subscription."
                )
                % {"host": parts.hostname, "address": blocked[0]}
            )
    return parts.scheme, parts.hostname, port, addresses[0]


def check_subscription_target(url: str, *, allow_private: bool) -> None:
    resolve_target(url, allow_private=allow_private)


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    delivered: bool
    status: int | None = None
    error: str = ""
    # 4xx other than 408/429: the receiver refuses this payload; retrying will not help.
    permanent: bool = False


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # Certificate checked against the host name, not the address we connect to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(delivery: WebhookDelivery) -> Answer:
    subscription = delivery.subscription
    try:
        scheme, host, port, address = resolve_target(
            subscription.url, allow_private=subscription.allow_private_network
        )
    except UnsafeTarget as exc:
        return Answer(delivered=False, error=str(exc), permanent=True)
    body = json.dumps({"delivery_id": delivery.pk, **delivery.payload}).encode()
    timestamp = str(int(timezone.now().timestamp()))
    parts = urlsplit(subscription.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = cls(host, port, address, timeout=float(settings.LAUFZETTEL_WEBHOOK_TIMEOUT))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Laufzettel-Event": delivery.event_kind,
        "X-Laufzettel-Delivery": str(delivery.pk),
        "X-Laufzettel-Timestamp": timestamp,
        "X-Laufzettel-Signature": sign(subscription.secret, timestamp, body),
    }
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read(MAX_ANSWER).decode("utf-8", "replace")
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return Answer(delivered=False, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
    if 200 <= status < 300:
        return Answer(delivered=True, status=status)
    permanent = 400 <= status < 500 and status not in (408, 425, 429)
    return Answer(delivered=False, status=status, error=text[:MAX_ANSWER], permanent=permanent)


def _record(delivery: WebhookDelivery, answer: Answer) -> None:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status = answer.status
    delivery.last_error = answer.error
    if answer.delivered:
        delivery.delivery_state = DeliveryState.DELIVERED
        delivery.delivered_at = now
    elif answer.permanent or delivery.attempts >= settings.LAUFZETTEL_WEBHOOK_MAX_ATTEMPTS:
        delivery.delivery_state = DeliveryState.FAILED
    else:
        delivery.delivery_state = DeliveryState.RETRYING
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts",
            "last_status",
            "last_error",
            "delivery_state",
            "delivered_at",
            "next_attempt_at",
        ]
    )


def _deliver_next_locked(now: datetime) -> bool:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.due(now)
            .select_related("subscription")
            .select_for_update(skip_locked=True, of=("self",))
            .first()
        )
        if delivery is None:
            return False
        _record(delivery, post(delivery))
    return True


def _deliver_next_claimed(now: datetime) -> bool:
    """Without row locks: take the row by moving its due time, only if nobody else moved it."""
    for delivery in WebhookDelivery.objects.due(now).select_related("subscription")[:5]:
        claimed = WebhookDelivery.objects.filter(
            pk=delivery.pk,
            delivery_state=delivery.delivery_state,
            next_attempt_at=delivery.next_attempt_at,
        ).update(next_attempt_at=now + LEASE)
        if claimed == 1:
            answer = post(delivery)
            with transaction.atomic():
                _record(delivery, answer)
            return True
    return False


def deliver_due_webhooks(now: datetime | None = None, *, batch_size: int = 50) -> int:
    """Worker job: post up to ``batch_size`` due deliveries; returns how many were tried."""
    now = now or timezone.now()
    deliver_next = (
        _deliver_next_locked
        if connection.features.has_select_for_update_skip_locked
        else _deliver_next_claimed
    )
    done = 0
    while done < batch_size and deliver_next(now):
        done += 1
    return done


def validate_event_kinds(kinds: list[str]) -> list[str]:
    unknown = sorted(set(kinds) - EVENT_KINDS)
    if unknown:
        raise ValueError(
            _("Unknown event kinds: %(kinds)s. Known: %(known)s.")
            % {"kinds": ", ".join(unknown), "known": ", ".join(sorted(EVENT_KINDS))}
        )
    return sorted(set(kinds))
