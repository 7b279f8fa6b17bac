"""Webhook subscriptions and their delivery log: admin scope only."""

import secrets
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from laufzettel.api import present
from laufzettel.api.auth import principal
from laufzettel.api.idempotency import idempotent
from laufzettel.api.models import Scope, WebhookDelivery, WebhookSubscription
from laufzettel.api.problems import ApiProblem
from laufzettel.api.schemas import (
    DeliveryOut,
    Id,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from laufzettel.api.views.common import ERRORS, MAX_PAGE
from laufzettel.api.webhooks import UnsafeTarget, check_subscription_target, validate_event_kinds

router = Router(tags=["webhooks"])


def _subscription(request: HttpRequest, webhook_id: int) -> WebhookSubscription:
    principal(request).require(Scope.ADMIN)
    found = WebhookSubscription.objects.filter(pk=webhook_id).first()
    if found is None:
        raise ApiProblem(404, _("Webhook %(id)s does not exist.") % {"id": webhook_id})
    return found


def _checked(url: str, kinds: list[str], allow_private: bool) -> list[str]:
    errors = []
    try:
        check_subscription_target(url, allow_private=allow_private)
    except UnsafeTarget as exc:
        errors.append({"field": "body.payload.url", "detail": str(exc)})
    try:
        kinds = validate_event_kinds(kinds)
    except ValueError as exc:
        errors.append({"field": "body.payload.event_kinds", "detail": str(exc)})
    if errors:
        raise ApiProblem(422, _("The webhook is not valid."), errors=errors)
    return kinds


@router.get("", response={200: list[WebhookOut], **ERRORS}, summary="List webhooks")
def list_webhooks(request: HttpRequest) -> list[dict[str, Any]]:
    principal(request).require(Scope.ADMIN)
    return [present.webhook(s) for s in WebhookSubscription.objects.order_by("pk")]


@router.post("", response={201: WebhookCreated, **ERRORS}, summary="Subscribe a webhook")
def add_webhook(request: HttpRequest, payload: WebhookIn) -> Any:
    """The answer holds the signing secret, once. Loopback, link-local and private targets are
    refused unless ``allow_private_network`` is set. Supports ``Idempotency-Key``."""
    who = principal(request)
    by = who.require(Scope.ADMIN)

    def create() -> tuple[int, dict[str, Any]]:
        kinds = _checked(payload.url, payload.event_kinds, payload.allow_private_network)
        subscription = WebhookSubscription.objects.create(
            name=payload.name,
            url=payload.url,
            event_kinds=kinds,
            is_active=payload.is_active,
            allow_private_network=payload.allow_private_network,
            secret=secrets.token_urlsafe(32),
            created_by=by,
        )
        body = {**present.webhook(subscription), "secret": subscription.secret}
        return 201, WebhookCreated.model_validate(body).model_dump()

    return idempotent(request, who, create)


@router.get("/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Read a webhook")
def read_webhook(request: HttpRequest, webhook_id: Id) -> dict[str, Any]:
    return present.webhook(_subscription(request, webhook_id))


@router.patch("/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Change a webhook")
def change_webhook(request: HttpRequest, webhook_id: Id, payload: WebhookPatch) -> dict[str, Any]:
    subscription = _subscription(request, webhook_id)
    changes = payload.model_dump(exclude_none=True)
    for name, value in changes.items():
        setattr(subscription, name, value)
    subscription.event_kinds = _checked(
        subscription.url, list(subscription.event_kinds), subscription.allow_private_network
    )
    subscription.save()
    return present.webhook(subscription)


@router.delete("/{webhook_id}", response={204: None, **ERRORS}, summary="Delete a webhook")
def delete_webhook(request: HttpRequest, webhook_id: Id) -> Status[None]:
    """Deletes the subscription with its delivery log; set ``is_active`` false to keep the log."""
    _subscription(request, webhook_id).delete()
    return Status(204, None)


@router.get(
    "/{webhook_id}/deliveries",
    response={200: list[DeliveryOut], **ERRORS},
    summary="Delivery log",
)
def list_deliveries(
    request: HttpRequest,
    webhook_id: Id,
    limit: int = Query(default=50, ge=1, le=MAX_PAGE),
) -> list[dict[str, Any]]:
    """The newest deliveries first, with attempts, last HTTP status and error."""
    subscription = _subscription(request, webhook_id)
    rows = WebhookDelivery.objects.filter(subscription=subscription).order_by("-created_at", "-pk")
    return [present.delivery(d) for d in rows[:limit]]
