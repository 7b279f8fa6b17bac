"""Render ticket mails in the recipient's language and put them in the outbox.

Called only from inside the life-cycle transaction, so the mail exists exactly when the change does.
"""

import uuid
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.utils import timezone, translation

from laufzettel.accounts.models import Language
from laufzettel.outbox.models import MailKind, OutboundEmail
from laufzettel.tickets.models import Article, ArticleKind, Ticket, Visibility

# Automatic mails must say so (RFC 3834), so that auto-responders do not answer them.
# Mails no person wrote; a clarification reminder repeats an agent's question, automatically.
AUTOMATIC_KINDS = {
    MailKind.ACKNOWLEDGEMENT,
    MailKind.RESOLUTION,
    MailKind.STATUS_UPDATE,
    MailKind.CLARIFICATION_REMINDER,
    MailKind.SLA_WARNING,
    MailKind.SLA_BREACH,
}
AUTOMATIC_HEADERS = {
    "Auto-Submitted": "auto-generated",
    # Exchange/Outlook ignore Auto-Submitted; without this an out-of-office answers every
    # acknowledgement, and that answer would land on the ticket.
    "X-Auto-Response-Suppress": "All",
}
# The timeline article's subject column is this long; the outbox row's is longer.
SUBJECT_LENGTH = Article._meta.get_field("subject").max_length or 250


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@{settings.LAUFZETTEL_MAIL_DOMAIN}>"


def thread_root_id(ticket: Ticket) -> str:
    """A Message-ID every mail of a ticket refers to, so mail clients keep them in one thread."""
    return f"<ticket-{ticket.pk}@{settings.LAUFZETTEL_MAIL_DOMAIN}>"


def vendor_thread_root_id(ticket: Ticket) -> str:
    """The vendor's own thread: the customer's mails and the vendor's never mix in one thread."""
    return f"<ticket-{ticket.pk}-vendor@{settings.LAUFZETTEL_MAIL_DOMAIN}>"


def subject_tag(ticket: Ticket) -> str:
    return f"[Ticket#{ticket.number}]"


def one_line(text: str) -> str:
    """Collapse line breaks and runs of blanks: a subject is one header line."""
    return " ".join(text.split())


def tagged_subject(subject: str, ticket: Ticket) -> str:
    """``subject [Ticket#N]``, shortened so the tag survives the article's 250 characters."""
    tag = subject_tag(ticket)
    room = SUBJECT_LENGTH - len(tag) - 1
    if len(subject) > room:
        subject = subject[: room - 1].rstrip() + "…"
    return f"{subject} {tag}"


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
    return RenderedMail(subject=one_line(subject), text=body, html=html)


def build_ticket_mail(
    ticket: Ticket,
    kind: MailKind,
    *,
    to: list[str],
    language: str,
    context: dict[str, Any] | None = None,
    author: User | None = None,
    visibility: Visibility = Visibility.PUBLIC,
) -> tuple[Article, OutboundEmail]:
    """Render a ticket mail as its (unsaved) timeline article and outbox row."""
    full_context = {
        "ticket": ticket,
        "contact": ticket.contact,
        # The subject line of the template is cut at its first line break: give it one line.
        "ticket_subject": one_line(ticket.subject),
        **(context or {}),
    }
    mail = render_mail(kind, language, full_context)
    subject = tagged_subject(mail.subject, ticket)
    article = Article(
        ticket=ticket,
        kind=ArticleKind.EMAIL_OUT,
        visibility=visibility,
        author_user=author,
        subject=subject,
        body_text=mail.text,
        body_html=mail.html,
    )
    root = (
        vendor_thread_root_id(ticket)
        if kind == MailKind.VENDOR_HANDOVER
        else thread_root_id(ticket)
    )
    headers = {
        "In-Reply-To": root,
        "References": root,
        "X-Laufzettel-Ticket": ticket.number,
        # RFC 2919-style loop marker: our own mail coming back in is recognised and not filed.
        "X-Loop": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
    }
    if kind in AUTOMATIC_KINDS:
        headers.update(AUTOMATIC_HEADERS)
    outbound = OutboundEmail(
        ticket=ticket,
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
    return article, outbound


def queue_ticket_mails(mails: list[tuple[Article, OutboundEmail]]) -> None:
    """Save built mails in two INSERTs (the SLA timers write many at once)."""
    Article.objects.bulk_create([article for article, _ in mails])
    for article, outbound in mails:
        outbound.article = article
    OutboundEmail.objects.bulk_create([outbound for _, outbound in mails])


def queue_ticket_mail(
    ticket: Ticket,
    kind: MailKind,
    *,
    to: list[str],
    language: str,
    context: dict[str, Any] | None = None,
    author: User | None = None,
    visibility: Visibility = Visibility.PUBLIC,
) -> Article:
    """Write the mail as a timeline article plus its outbox row; the worker delivers it."""
    article, outbound = build_ticket_mail(
        ticket,
        kind,
        to=to,
        language=language,
        context=context,
        author=author,
        visibility=visibility,
    )
    article.save()
    outbound.article = article
    outbound.save()
    return article
