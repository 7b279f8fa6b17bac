"""``Idempotency-Key`` on creates: a retried request gets the first answer, never a second row.

The key row is inserted first, in the same transaction as the create. A concurrent request with
the same key waits on the unique index (PostgreSQL) or the write lock (SQLite) until the first
commits, then finds the row and replays its answer; if the first failed, its key row rolled back
with it and the retry runs normally.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Status
from ninja.responses import NinjaJSONEncoder

from laufzettel.api.auth import Principal
from laufzettel.api.models import IdempotencyRecord
from laufzettel.api.problems import ApiProblem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        raise ApiProblem(
            422,
            _("This Idempotency-Key was already used for a different request."),
            kind="idempotency-key-reused",
        )
    if record.status is None:  # only visible if a transaction isolation level lets it through
        raise ApiProblem(409, _("A request with this Idempotency-Key is still in progress."))
    response = HttpResponse(
        json.dumps(record.response),
        status=record.status,
        content_type="application/json; charset=utf-8",
    )
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(
    request: HttpRequest, who: Principal, create: Callable[[], tuple[int, dict[str, Any]]]
) -> Status[dict[str, Any]] | HttpResponse:
    """Run ``create`` (returning status and JSON-ready body) at most once per key and caller."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return Status(*create())
    if len(key) > MAX_KEY_LENGTH:
        raise ApiProblem(
            422,
            _("The Idempotency-Key may have at most %(n)s characters.") % {"n": MAX_KEY_LENGTH},
        )
    fingerprint = _fingerprint(request)
    owner = who.rate_key
    found = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
    if found is not None:
        return _replay(found, fingerprint)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(owner=owner, key=key, fingerprint=fingerprint)
            status, body = create()
            # Stored exactly as the first answer was rendered, so a replay is byte-identical.
            body = json.loads(json.dumps(body, cls=NinjaJSONEncoder))
            record.status, record.response = status, body
            record.save(update_fields=["status", "response"])
    except IntegrityError:
        found = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if found is None:
            raise
        return _replay(found, fingerprint)
    return Status(status, body)
