"""Tickets: list, read, create, update, and one endpoint per life-cycle action.

Each action endpoint reads the ticket through ``ticket_for`` (so customers and unknown numbers
get 404), checks the scope, calls exactly one ``tickets.lifecycle`` function and presents the
result. Refusals of the life cycle become problem details (409 for an illegal transition).
"""

from datetime import datetime
from typing import Any, Literal

from django.contrib.auth.models import User
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from laufzettel.accounts.models import Contact, Organization, Team
from laufzettel.api import present
from laufzettel.api.auth import principal, tickets_for
from laufzettel.api.idempotency import idempotent
from laufzettel.api.models import Scope
from laufzettel.api.problems import ApiProblem
from laufzettel.api.schemas import (
    AskIn,
    AssignIn,
    EscalateIn,
    HandBackIn,
    LinkIn,
    LinkOut,
    MergeIn,
    ReopenIn,
    ResolveIn,
    TicketCreate,
    TicketNumber,
    TicketOut,
    TicketPage,
    TicketUpdate,
)
from laufzettel.api.views.common import (
    CHANGE_ERRORS,
    ERRORS,
    MAX_PAGE,
    decode_cursor,
    encode_cursor,
    get_or_422,
    ticket_for,
)
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import OPEN_STATES, Channel, Priority, State, Ticket, Topic

router = Router(tags=["tickets"])
# Ids in the query are bounded like those in the path, so no database integer overflows.
ID = Query(default=None, ge=1, le=2**62)
STATES = Query(default=[])
CURSOR = Query(default=None, max_length=500)
LIMIT = Query(default=50, ge=1, le=MAX_PAGE)


def _out(t: Ticket, request: HttpRequest) -> dict[str, Any]:
    return present.ticket(t, for_customer=principal(request).is_customer)


def _reloaded(request: HttpRequest, pk: int) -> dict[str, Any]:
    """The ticket as it is after the change, with what it refers to loaded in one query."""
    return _out(Ticket.objects.for_timeline().get(pk=pk), request)


@router.get("", response={200: TicketPage, **ERRORS}, summary="List tickets")
def list_tickets(
    request: HttpRequest,
    state: list[State] = STATES,
    open: bool | None = None,
    team_id: int | None = ID,
    owner_id: int | None = ID,
    organization_id: int | None = ID,
    contact_id: int | None = ID,
    topic_id: int | None = ID,
    priority: Priority | None = None,
    updated_since: datetime | None = None,
    order: Literal["-created", "updated"] = "-created",
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> dict[str, Any]:
    """Newest first by default; ``order=updated`` walks changes oldest first (for syncing).

    Pass ``next_cursor`` of one page as ``cursor`` to get the next.
    """
    who = principal(request)
    who.require_scope(Scope.READ)
    tickets = tickets_for(who).for_timeline()
    filters: dict[str, Any] = {
        "team_id": team_id,
        "owner_id": owner_id,
        "organization_id": organization_id,
        "contact_id": contact_id,
        "topic_id": topic_id,
        "priority": priority,
        "updated_at__gte": updated_since,
    }
    tickets = tickets.filter(**{k: v for k, v in filters.items() if v is not None})
    if state:
        tickets = tickets.filter(state__in=state)
    if open is not None:
        tickets = tickets.open() if open else tickets.exclude(state__in=OPEN_STATES)
    if order == "updated":
        if cursor:
            stamp, pk = decode_cursor(cursor, 2)
            after = _parse_stamp(stamp)
            if not isinstance(pk, int):
                raise ApiProblem(400, _("The cursor is not valid; start again without it."))
            tickets = tickets.filter(Q(updated_at__gt=after) | Q(updated_at=after, pk__gt=pk))
        rows = list(tickets.order_by("updated_at", "pk")[: limit + 1])
        last = rows[limit - 1] if len(rows) > limit else None
        next_cursor = encode_cursor([last.updated_at.isoformat(), last.pk]) if last else None
    else:
        if cursor:
            (before,) = decode_cursor(cursor, 1)
            if not isinstance(before, int):
                raise ApiProblem(400, _("The cursor is not valid; start again without it."))
            tickets = tickets.filter(pk__lt=before)
        rows = list(tickets.order_by("-pk")[: limit + 1])
        next_cursor = encode_cursor([rows[limit - 1].pk]) if len(rows) > limit else None
    return {"items": [_out(t, request) for t in rows[:limit]], "next_cursor": next_cursor}


def _parse_stamp(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ApiProblem(400, _("The cursor is not valid; start again without it.")) from None


@router.post("", response={201: TicketOut, **CHANGE_ERRORS}, summary="Create a ticket")
def create_ticket(request: HttpRequest, payload: TicketCreate) -> Any:
    """Open a ticket on behalf of a contact (channel ``api``); the contact gets the usual
    acknowledgement mail. Customer tokens create tickets for their own contact only.

    Send an ``Idempotency-Key`` header: a retry with the same key returns the first answer.
    """
    who = principal(request)
    who.require_scope(Scope.WRITE)

    def create() -> tuple[int, dict[str, Any]]:
        if who.contact is not None:
            if payload.contact_id is not None and payload.contact_id != who.contact.pk:
                raise ApiProblem(
                    403, _("A customer token can only open tickets for its own contact.")
                )
            contact, priority, acknowledge = who.contact, Priority.NORMAL, True
        else:
            if payload.contact_id is None:
                raise ApiProblem(
                    422,
                    _("contact_id is required."),
                    errors=[{"field": "body.payload.contact_id", "detail": _("Field required")}],
                )
            contact = get_or_422(Contact.objects.all(), payload.contact_id, _("Contact"))
            priority, acknowledge = Priority(payload.priority), payload.acknowledge
        topic = get_or_422(Topic.objects.all(), payload.topic_id, _("Topic"))
        ticket = lifecycle.create_ticket(
            contact=contact,
            subject=payload.subject,
            body=payload.body,
            channel=Channel.API,
            by=who.user,
            topic=topic,
            priority=priority,
            acknowledge=acknowledge,
        )
        body = TicketOut.model_validate(_reloaded(request, ticket.pk)).model_dump()
        return 201, body

    return idempotent(request, who, create)


@router.get("/{number}", response={200: TicketOut, **ERRORS}, summary="Read a ticket")
def read_ticket(request: HttpRequest, number: TicketNumber) -> dict[str, Any]:
    who = principal(request)
    who.require_scope(Scope.READ)
    return _out(ticket_for(who, number), request)


@router.patch("/{number}", response={200: TicketOut, **CHANGE_ERRORS}, summary="Update fields")
def update_ticket(
    request: HttpRequest, number: TicketNumber, payload: TicketUpdate
) -> dict[str, Any]:
    """Change subject, topic, priority, organization and the documentation fields.

    This is the life cycle's *qualify*: a ``new`` ticket becomes ``open``.
    """
    return _qualify(request, number, payload)


@router.post(
    "/{number}/qualify", response={200: TicketOut, **CHANGE_ERRORS}, summary="Qualify a ticket"
)
def qualify_ticket(
    request: HttpRequest, number: TicketNumber, payload: TicketUpdate
) -> dict[str, Any]:
    return _qualify(request, number, payload)


def _qualify(request: HttpRequest, number: int, payload: TicketUpdate) -> dict[str, Any]:
    who = principal(request)
    by = who.require(Scope.WRITE)
    ticket = ticket_for(who, number)
    lifecycle.qualify(
        ticket.pk,
        by=by,
        subject=payload.subject,
        topic=get_or_422(Topic.objects.all(), payload.topic_id, _("Topic")),
        priority=Priority(payload.priority) if payload.priority else None,
        organization=get_or_422(
            Organization.objects.all(), payload.organization_id, _("Organization")
        ),
        affected_contact_ids=payload.affected_contact_ids,
        affected_persons_text=payload.affected_persons_text,
        initial_situation=payload.initial_situation,
        solution_attempts=payload.solution_attempts,
        measures_taken=payload.measures_taken,
        expected_version=payload.expected_version,
    )
    return _reloaded(request, ticket.pk)


@router.post(
    "/{number}/assign", response={200: TicketOut, **CHANGE_ERRORS}, summary="Assign an owner"
)
def assign_ticket(request: HttpRequest, number: TicketNumber, payload: AssignIn) -> dict[str, Any]:
    """Give the ticket to a member of its team; ``owner_id: null`` releases it to the queue."""
    who = principal(request)
    by = who.require(Scope.WRITE)
    ticket = ticket_for(who, number)
    owner = get_or_422(User.objects.all(), payload.owner_id, _("User"))
    lifecycle.assign(ticket.pk, by=by, owner=owner, expected_version=payload.expected_version)
    return _reloaded(request, ticket.pk)


@router.post(
    "/{number}/escalate",
    response={200: TicketOut, **CHANGE_ERRORS},
    summary="Escalate to a higher level",
)
def escalate_ticket(
    request: HttpRequest, number: TicketNumber, payload: EscalateIn
) -> dict[str, Any]:
    """Move the ticket to a team of a higher level; the four handover parts are required."""
    who = principal(request)
    by = who.require(Scope.WRITE)
    ticket = ticket_for(who, number)
    team = get_or_422(Team.objects.all(), payload.team_id, _("Team"))
    h = payload.handover
    handover = lifecycle.Handover(
        initial_situation=h.initial_situation,
        affected_persons_text=h.affected_persons_text,
        solution_attempts=h.solution_attempts,
        measures_taken=h.measures_taken,
        affected_contact_ids=list(h.affected_contact_ids),
        note=h.note,
    )
    lifecycle.escalate(
        ticket.pk,
        by=by,
        to_team=team,
        handover=handover,
        expected_version=payload.expected_version,
    )
    return _reloaded(request, ticket.pk)


@router.post(
    "/{number}/hand-back",
    response={200: TicketOut, **CHANGE_ERRORS},
    summary="Hand back to a lower level",
)
def hand_back_ticket(
    request: HttpRequest, number: TicketNumber, payload: HandBackIn
) -> dict[str, Any]:
    who = principal(request)
    by = who.require(Scope.WRITE)
    ticket = ticket_for(who, number)
    team = get_or_422(Team.objects.all(), payload.team_id, _("Team"))
    lifecycle.hand_back(
        ticket.pk, by=by, to_team=team, note=payload.note, expected_version=payload.expected_version
    )
    return _reloaded(request, ticket.pk)


@router.post(
    "/{number}/ask", response={200: TicketOut, **CHANGE_ERRORS}, summary="Ask the customer"
)
def ask_customer(request: HttpRequest, number: TicketNumber, payload: AskIn) -> dict[str, Any]:
    """Mail the contact a question; the ticket waits for the customer's answer."""
    who = principal(request)
    by = who.require(Scope.WRITE)
    ticket = ticket_for(who, number)
    lifecycle.ask_customer(
        ticket.pk, by=by, question=payload.question, expected_version=payload.expected_version
    )
    return _reloaded(request, ticket.pk)


@router.post("/{number}/resolve", response={200: TicketOut, **CHANGE_ERRORS}, summary="Resolve")
def resolve_ticket(
    request: HttpRequest, number: TicketNumber, payload: ResolveIn
) -> dict[str, Any]:
    """Record the solution; the customer gets the confirmation mail."""
    who = principal(request)
    by = who.require(Scope.WRITE)
    ticket = ticket_for(who, number)
    lifecycle.resolve(
        ticket.pk, by=by, resolution=payload.resolution, expected_version=payload.expected_version
    )
    return _reloaded(request, ticket.pk)


@router.post("/{number}/reopen", response={200: TicketOut, **CHANGE_ERRORS}, summary="Reopen")
def reopen_ticket(request: HttpRequest, number: TicketNumber, payload: ReopenIn) -> dict[str, Any]:
    who = principal(request)
    by = who.require(Scope.WRITE)
    ticket = ticket_for(who, number)
    lifecycle.reopen(
        ticket.pk, by=by, reason=payload.reason, expected_version=payload.expected_version
    )
    return _reloaded(request, ticket.pk)


@router.post(
    "/{number}/merge",
    response={200: TicketOut, **CHANGE_ERRORS},
    summary="Merge into another ticket",
)
def merge_ticket(request: HttpRequest, number: TicketNumber, payload: MergeIn) -> dict[str, Any]:
    who = principal(request)
    by = who.require(Scope.WRITE)
    ticket = ticket_for(who, number)
    target = _other(payload.into)
    lifecycle.merge(ticket.pk, into=target, by=by, expected_version=payload.expected_version)
    return _reloaded(request, ticket.pk)


@router.post(
    "/{number}/links", response={201: LinkOut, **CHANGE_ERRORS}, summary="Link another ticket"
)
def link_ticket(
    request: HttpRequest, number: TicketNumber, payload: LinkIn
) -> Status[dict[str, Any]]:
    who = principal(request)
    by = who.require(Scope.WRITE)
    ticket = ticket_for(who, number)
    row = lifecycle.link(ticket.pk, other=_other(payload.other), by=by, kind=payload.kind)
    return Status(201, present.link(row))


def _other(number: int) -> int:
    """The primary key of a ticket named in the body; unknown numbers are invalid input."""
    pk = Ticket.objects.by_number(number).values_list("pk", flat=True).first()
    if pk is None:
        raise ApiProblem(
            422,
            _("Ticket %(number)s does not exist.") % {"number": number},
            kind="invalid-reference",
        )
    return pk
