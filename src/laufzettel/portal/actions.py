"""What a customer does in the portal: sign in by link, open a ticket, write to a ticket.

Ticket changes go through ``tickets.lifecycle``; this module only adds what the life cycle does
not know about (login links, the portal account, a message's attachments).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from laufzettel.accounts.models import Contact, ContactEmail, Language
from laufzettel.outbox.models import MailKind, OutboundEmail
from laufzettel.outbox.notify import new_message_id, one_line
from laufzettel.portal.models import LoginLink, PortalAccount, hash_token
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Article, Attachment, Channel, Ticket, Topic

# Links one address may request per window, so the portal cannot be used to flood a mailbox.
LINKS_PER_WINDOW = 5
LINK_WINDOW = timedelta(hours=1)


def request_login_link(email: str, *, link_base: str) -> bool:
    """Mail a one-time login link if the address belongs to a contact allowed in the portal.

    Returns whether a mail was queued; the page says the same either way, so nobody learns
    which addresses are known. ``link_base`` is the absolute URL the token is appended to.
    """
    address = email.strip().lower()
    owner = ContactEmail.objects.filter(address=address).select_related("contact").first()
    if owner is None:
        return False
    contact = owner.contact
    if PortalAccount.objects.filter(contact=contact, is_active=False).exists():
        return False
    now = timezone.now()
    if (
        LoginLink.objects.filter(email=address, created_at__gte=now - LINK_WINDOW).count()
        >= LINKS_PER_WINDOW
    ):
        return False
    token = secrets.token_urlsafe(32)
    minutes = settings.LAUFZETTEL_PORTAL_LINK_MINUTES
    language = contact.language if contact.language in Language.values else Language.GERMAN
    with translation.override(language):
        rendered = render_to_string(
            f"portal/mail/{language}/login_link.txt",
            {"contact": contact, "link": link_base + token + "/", "minutes": minutes},
            using="text",
        )
    subject, _, body = rendered.lstrip().partition("\n")
    with transaction.atomic():
        LoginLink.objects.create(
            contact=contact,
            email=address,
            token_hash=hash_token(token),
            expires_at=now + timedelta(minutes=minutes),
        )
        OutboundEmail.objects.create(
            kind=MailKind.PORTAL_LOGIN,
            message_id=new_message_id(),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            subject=one_line(subject),
            body_text=body.strip() + "\n",
            headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
            next_attempt_at=now,
        )
    return True


def redeem_login_link(token: str) -> User | None:
    """The user the link signs in (created on first use), or None if it is unknown/used/expired.

    The conditional update makes the link single-use even when two requests race for it.
    """
    now = timezone.now()
    with transaction.atomic():
        link = LoginLink.objects.filter(token_hash=hash_token(token)).first()
        if link is None or link.used_at is not None or link.expires_at <= now:
            return None
        claimed = LoginLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
        if claimed != 1:
            return None
        return account_for(link.contact).user if _may_sign_in(link.contact) else None


def _may_sign_in(contact: Contact) -> bool:
    return not PortalAccount.objects.filter(contact=contact, is_active=False).exists()


def account_for(contact: Contact) -> PortalAccount:
    """The contact's portal account, created with a password-less user on first sign-in."""
    account = PortalAccount.objects.filter(contact=contact).select_related("user").first()
    if account is not None:
        return account
    user = User.objects.create_user(username=f"portal-{contact.pk}", first_name=contact.name[:150])
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return PortalAccount.objects.create(contact=contact, user=user)


def _attach(article: Article, files: list[UploadedFile]) -> None:
    for upload in files:
        attachment = Attachment(
            article=article,
            name=(upload.name or "attachment")[:255],
            content_type=(upload.content_type or "application/octet-stream")[:200],
            size=upload.size or 0,
        )
        attachment.file.save(upload.name or "attachment", upload, save=False)
        attachment.save()


def open_ticket(
    *,
    contact: Contact,
    subject: str,
    description: str,
    topic: Topic | None,
    files: list[UploadedFile],
) -> Ticket:
    """A portal ticket with its attachments on the first article, in one transaction."""
    with transaction.atomic():
        ticket = lifecycle.create_ticket(
            contact=contact, subject=subject, body=description, channel=Channel.PORTAL, topic=topic
        )
        first = ticket.articles.order_by("pk").first()
        if first is not None and files:
            _attach(first, files)
    return ticket


def write_to_ticket(
    ticket: Ticket, *, contact: Contact, text: str, files: list[UploadedFile]
) -> Ticket:
    """The customer's message: answers a question, reopens a solved ticket within the window.

    Returns the ticket it landed on (a new, linked one once the old one is closed).
    """
    with transaction.atomic():
        landed = lifecycle.record_customer_reply(
            ticket, contact=contact, body=text, channel=Channel.PORTAL
        )
        if files:
            article = (
                landed.articles.filter(author_contact=contact)
                .order_by("-created_at", "-pk")
                .first()
            )
            if article is not None:
                _attach(article, files)
    return landed
