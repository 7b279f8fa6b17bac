"""Render ticket mails in the recipient's language and put them in the outbox.

Called only from inside the life-cycle transaction, so the mail exists exactly when the change does.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.template.loader import render_to_string
from django.utils import timezone, translation

from laufzettel.accounts.models import Language
from laufzettel.outbox.models import MailKind, OutboundEmail
from laufzettel.tickets.models import Article, ArticleKind, Ticket, Visibility

# Automatic mails must say so (RFC 3834), so that auto-responders do not answer them.
AUTOMATIC_KINDS = {MailKind.ACKNOWLEDGEMENT, MailKind.RESOLUTION}


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@{settings.LAUFZETTEL_MAIL_DOMAIN}>"


def thread_root_id(ticket: Ticket) -> str:
    """A Message-ID every mail of a ticket refers to, so mail clients keep them in one thread."""
    return f"<ticket-{ticket.pk}@{settings.LAUFZETTEL_MAIL_DOMAIN}>"


def subject_tag(ticket: Ticket) -> str:
    return f"[Ticket#{ticket.number}]"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def render_mail(kind: MailKind, language: str, context: dict[str, Any]) -> RenderedMail:
    """Render ``outbox/mail/<language>/<kind>.txt``; its first line is the subject."""
    if language not in Language.values:
        language = Language.GERMAN
    with translation.override(language):
        rendered = render_to_string(f"outbox/mail/{language}/{kind}.txt", context, using="text")
        subject, _, body = rendered.lstrip().partition("\n")
        body = body.strip() + "\n"
        html = render_to_string("outbox/mail/body.html", {"body": body, "language": language})
    return RenderedMail(subject=subject.strip(), text=body, html=html)


def queue_ticket_mail(
    ticket: Ticket,
    kind: MailKind,
    *,
    to: list[str],
    language: str,
    context: dict[str, Any] | None = None,
    author: AbstractBaseUser | None = None,
    visibility: Visibility = Visibility.PUBLIC,
) -> Article:
    """Write the mail as a timeline article plus its outbox row; the worker delivers it."""
    full_context = {"ticket": ticket, "contact": ticket.contact, **(context or {})}
    mail = render_mail(kind, language, full_context)
    subject = f"{mail.subject} {subject_tag(ticket)}"
    article = Article.objects.create(
        ticket=ticket,
        kind=ArticleKind.EMAIL_OUT,
        visibility=visibility,
        author_user=author,
        subject=subject,
        body_text=mail.text,
        body_html=mail.html,
    )
    root = thread_root_id(ticket)
    headers = {"In-Reply-To": root, "References": root, "X-Laufzettel-Ticket": ticket.number}
    if kind in AUTOMATIC_KINDS:
        headers["Auto-Submitted"] = "auto-generated"
    OutboundEmail.objects.create(
        ticket=ticket,
        article=article,
        kind=kind,
        message_id=new_message_id(),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        subject=subject,
        body_text=mail.text,
        body_html=mail.html,
        headers=headers,
        next_attempt_at=timezone.now(),
    )
    return article
