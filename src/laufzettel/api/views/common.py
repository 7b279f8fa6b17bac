"""What every endpoint module shares: the error responses, access helpers and the cursor."""

import base64
import binascii
import json
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from laufzettel.api.auth import Principal, tickets_for
from laufzettel.api.problems import ApiProblem, Problem
from laufzettel.tickets.models import Ticket

# Every authenticated endpoint can answer with these.
ERRORS: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    422: Problem,
    429: Problem,
}
CHANGE_ERRORS: dict[int, Any] = {**ERRORS, 409: Problem}
MAX_PAGE = 200


def ticket_for(who: Principal, number: int, *, for_update: bool = False) -> Ticket:
    """The ticket with this number as the caller may see it, or 404 (also for other orgs')."""
    found = tickets_for(who).by_number(number).for_timeline().first()
    if found is None:
        raise ApiProblem(404, _("Ticket %(number)s does not exist.") % {"number": number})
    return found


def get_or_422(queryset: QuerySet[Any], pk: int | None, what: str) -> Any:
    """A referenced object from the body: a missing one is invalid input, not a missing page."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ApiProblem(
            422,
            _("%(what)s %(id)s does not exist.") % {"what": what, "id": pk},
            kind="invalid-reference",
        )
    return found


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != length:
        raise ApiProblem(400, _("The cursor is not valid; start again without it."))
    return values


def page_by_id(
    queryset: QuerySet[Any], cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Keyset pagination by ascending id: stable while rows are added."""
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        if not isinstance(after, int):
            raise ApiProblem(400, _("The cursor is not valid; start again without it."))
        queryset = queryset.filter(pk__gt=after)
    rows = list(queryset.order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1].pk]) if more and rows else None


def name_filter(queryset: QuerySet[Any], q: str | None) -> QuerySet[Any]:
    return queryset.filter(Q(name__icontains=q)) if q else queryset
