"""Contacts, organizations, teams and topics; only topics are readable with a customer token."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from laufzettel.accounts.actions import create_contact
from laufzettel.accounts.models import Contact, Organization, Team
from laufzettel.api import present
from laufzettel.api.auth import principal
from laufzettel.api.idempotency import idempotent
from laufzettel.api.models import Scope
from laufzettel.api.problems import ApiProblem
from laufzettel.api.schemas import (
    ContactIn,
    ContactOut,
    ContactPage,
    Id,
    OrganizationOut,
    OrganizationPage,
    TeamOut,
    TopicOut,
)
from laufzettel.api.views.common import CHANGE_ERRORS, ERRORS, MAX_PAGE, get_or_422, page_by_id
from laufzettel.lib.phone import normalize_phone
from laufzettel.tickets.models import Topic

router = Router(tags=["directory"])

CONTACTS = Contact.objects.select_related("organization").prefetch_related("emails", "phones")
Q_TEXT = Query(default=None, max_length=200)
CURSOR = Query(default=None, max_length=500)
LIMIT = Query(default=50, ge=1, le=MAX_PAGE)
OPTIONAL_ID = Query(default=None, ge=1, le=2**62)


@router.get("/contacts", response={200: ContactPage, **ERRORS}, summary="List contacts")
def list_contacts(
    request: HttpRequest,
    q: str | None = Q_TEXT,
    organization_id: int | None = OPTIONAL_ID,
    email: str | None = Q_TEXT,
    phone: str | None = Q_TEXT,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> dict[str, Any]:
    """Filter by name (``q``), organization, exact email or phone (any format, matched as E.164)."""
    principal(request).require(Scope.READ)
    contacts = CONTACTS.all()
    if q:
        contacts = contacts.filter(name__icontains=q)
    if organization_id is not None:
        contacts = contacts.filter(organization_id=organization_id)
    if email:
        contacts = contacts.with_email(email)
    if phone:
        contacts = contacts.with_phone(normalize_phone(phone) or phone.strip())
    rows, next_cursor = page_by_id(contacts, cursor, limit)
    return {"items": [present.contact(c) for c in rows], "next_cursor": next_cursor}


@router.get(
    "/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="Read a contact"
)
def read_contact(request: HttpRequest, contact_id: Id) -> dict[str, Any]:
    principal(request).require(Scope.READ)
    contact = CONTACTS.filter(pk=contact_id).first()
    if contact is None:
        raise ApiProblem(404, _("Contact %(id)s does not exist.") % {"id": contact_id})
    return present.contact(contact)


@router.post("/contacts", response={201: ContactOut, **CHANGE_ERRORS}, summary="Create a contact")
def add_contact(request: HttpRequest, payload: ContactIn) -> Any:
    """A new contact with optional email and phone (stored as E.164). Supports Idempotency-Key."""
    who = principal(request)
    who.require(Scope.WRITE)

    def create() -> tuple[int, dict[str, Any]]:
        organization = get_or_422(
            Organization.objects.all(), payload.organization_id, _("Organization")
        )
        errors = []
        phone = ""
        if payload.phone:
            phone = normalize_phone(payload.phone) or ""
            if not phone:
                errors.append({"field": "body.payload.phone", "detail": _("Not a phone number.")})
        email = payload.email.strip().lower()
        if email and ("@" not in email or " " in email):
            errors.append({"field": "body.payload.email", "detail": _("Not an email address.")})
        elif email and Contact.objects.with_email(email).exists():
            errors.append(
                {"field": "body.payload.email", "detail": _("Another contact has this address.")}
            )
        if errors:
            raise ApiProblem(422, _("The contact is not valid."), errors=errors)
        contact = create_contact(
            payload.name,
            organization=organization,
            phone=phone,
            email=email,
            language=payload.language,
        )
        body = ContactOut.model_validate(present.contact(CONTACTS.get(pk=contact.pk)))
        return 201, body.model_dump()

    return idempotent(request, who, create)


@router.get("/organizations", response={200: OrganizationPage, **ERRORS}, summary="Organizations")
def list_organizations(
    request: HttpRequest, q: str | None = Q_TEXT, cursor: str | None = CURSOR, limit: int = LIMIT
) -> dict[str, Any]:
    principal(request).require(Scope.READ)
    organizations = Organization.objects.all()
    if q:
        organizations = organizations.filter(name__icontains=q)
    rows, next_cursor = page_by_id(organizations, cursor, limit)
    return {"items": [present.organization(o) for o in rows], "next_cursor": next_cursor}


@router.get(
    "/organizations/{organization_id}",
    response={200: OrganizationOut, **ERRORS},
    summary="Read an organization",
)
def read_organization(request: HttpRequest, organization_id: Id) -> dict[str, Any]:
    principal(request).require(Scope.READ)
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise ApiProblem(404, _("Organization %(id)s does not exist.") % {"id": organization_id})
    return present.organization(organization)


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, summary="Teams")
def list_teams(request: HttpRequest) -> list[dict[str, Any]]:
    """All teams with their level; escalate and hand back name them by id."""
    principal(request).require(Scope.READ)
    return [present.team(t) for t in Team.objects.order_by("level", "name")]


@router.get("/topics", response={200: list[TopicOut], **ERRORS}, summary="Topics")
def list_topics(request: HttpRequest) -> list[dict[str, Any]]:
    """Active topics (customers may read them to file their tickets)."""
    principal(request).require_scope(Scope.READ)
    topics = Topic.objects.filter(is_active=True).select_related("department").order_by("name")
    return [present.topic(t) for t in topics]
