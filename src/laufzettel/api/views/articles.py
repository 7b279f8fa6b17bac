"""A ticket's timeline over the API: articles, attachments up and down, and its event log."""

from typing import Any

from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile

from laufzettel.api import present
from laufzettel.api.actions import attach_file
from laufzettel.api.auth import principal
from laufzettel.api.idempotency import idempotent
from laufzettel.api.models import Scope
from laufzettel.api.problems import ApiProblem, Problem
from laufzettel.api.schemas import (
    ArticleIn,
    ArticleOut,
    AttachmentOut,
    EventOut,
    Id,
    TicketNumber,
)
from laufzettel.api.views.common import CHANGE_ERRORS, ERRORS, ticket_for
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import (
    Article,
    ArticleKind,
    Attachment,
    Channel,
    Event,
    Visibility,
)

router = Router(tags=["articles"])

ARTICLES = Article.objects.select_related("author_user", "author_contact").prefetch_related(
    Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
)


@router.get(
    "/{number}/articles", response={200: list[ArticleOut], **ERRORS}, summary="List articles"
)
def list_articles(request: HttpRequest, number: TicketNumber) -> list[dict[str, Any]]:
    """The timeline, oldest first; customers see only public articles."""
    who = principal(request)
    who.require_scope(Scope.READ)
    ticket = ticket_for(who, number)
    articles = ARTICLES.filter(ticket=ticket).order_by("created_at", "pk")
    if who.is_customer:
        articles = articles.filter(visibility=Visibility.PUBLIC)
    return [present.article(a) for a in articles]


@router.post(
    "/{number}/articles",
    response={201: ArticleOut, **CHANGE_ERRORS},
    summary="Add a reply, note or phone note",
)
def add_article(request: HttpRequest, number: TicketNumber, payload: ArticleIn) -> Any:
    """Agents: ``reply`` mails the customer, ``note`` is internal, ``phone`` records a call.

    Customer tokens send ``reply`` only: it is the customer's message (it ends a wait for the
    customer and reopens a resolved ticket; after the follow-up window it opens a new ticket).
    Supports ``Idempotency-Key``.
    """
    who = principal(request)
    who.require_scope(Scope.WRITE)
    ticket = ticket_for(who, number)

    def create() -> tuple[int, dict[str, Any]]:
        if who.contact is not None:
            if payload.kind != "reply":
                raise ApiProblem(403, _("Customers can only send replies."))
            landed = lifecycle.record_customer_reply(
                ticket.pk, contact=who.contact, body=payload.body, channel=Channel.API
            )
            article = ARTICLES.filter(ticket=landed, author_contact=who.contact).last()
        elif payload.kind == "reply":
            by = who.require(Scope.WRITE)
            lifecycle.reply_to_customer(
                ticket.pk, by=by, text=payload.body, expected_version=payload.expected_version
            )
            article = ARTICLES.filter(ticket=ticket, author_user=by).last()
        else:
            by = who.require(Scope.WRITE)
            kind = ArticleKind.PHONE if payload.kind == "phone" else ArticleKind.NOTE
            visible = payload.public and kind == ArticleKind.PHONE
            created = lifecycle.add_note(
                ticket.pk,
                by=by,
                body=payload.body,
                kind=kind,
                visibility=Visibility.PUBLIC if visible else Visibility.INTERNAL,
            )
            article = ARTICLES.get(pk=created.pk)
        assert article is not None
        return 201, ArticleOut.model_validate(present.article(article)).model_dump()

    return idempotent(request, who, create)


@router.post(
    "/{number}/articles/{article_id}/attachments",
    response={201: AttachmentOut, **CHANGE_ERRORS, 413: Problem},
    summary="Attach a file to an article",
)
def upload_attachment(
    request: HttpRequest,
    number: TicketNumber,
    article_id: Id,
    file: File[UploadedFile],
) -> Status[dict[str, Any]]:
    """Multipart upload (field ``file``) onto an article of the ticket (agents only)."""
    who = principal(request)
    who.require(Scope.WRITE)
    ticket = ticket_for(who, number)
    article = Article.objects.filter(ticket=ticket, pk=article_id).first()
    if article is None:
        raise ApiProblem(404, _("The ticket has no such article."))
    row = attach_file(article, file)
    return Status(
        201, {"id": row.pk, "name": row.name, "content_type": row.content_type, "size": row.size}
    )


@router.get(
    "/{number}/attachments/{attachment_id}",
    response={200: Any, **ERRORS},
    summary="Download an attachment",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_attachment(
    request: HttpRequest, number: TicketNumber, attachment_id: Id
) -> FileResponse:
    who = principal(request)
    who.require_scope(Scope.READ)
    ticket = ticket_for(who, number)
    found = Attachment.objects.filter(article__ticket=ticket, pk=attachment_id)
    if who.is_customer:
        found = found.filter(article__visibility=Visibility.PUBLIC)
    attachment = found.first()
    if attachment is None:
        raise ApiProblem(404, _("The ticket has no such attachment."))
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name
    )
    response["Content-Type"] = attachment.content_type or "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/{number}/events", response={200: list[EventOut], **ERRORS}, summary="The event log")
def list_events(request: HttpRequest, number: TicketNumber) -> list[dict[str, Any]]:
    """Every change of the ticket with actor and time, oldest first (not for customers)."""
    who = principal(request)
    who.require(Scope.READ)
    ticket = ticket_for(who, number)
    events = (
        Event.objects.filter(ticket=ticket)
        .select_related("actor_user", "actor_contact")
        .order_by("created_at", "pk")
    )
    return [present.event(e) for e in events]
