"""Filing one parsed message: a new ticket, a reply, a vendor answer, a note or a bounce.

Runs inside the ingest transaction, so the ticket change, the attachments and the inbound row's
new state commit together. Every ticket change goes through ``tickets.lifecycle``.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from laufzettel.accounts.actions import create_contact
from laufzettel.accounts.models import Contact, Organization, Team
from laufzettel.mail import loops
from laufzettel.mail.models import InboundMessage, Outcome
from laufzettel.mail.parse import ParsedMessage
from laufzettel.mail.report import DeliveryReport, classic_bounce
from laufzettel.mail.threading import ThreadMatch, find_thread
from laufzettel.outbox.models import DeliveryState, MailKind, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Article, Attachment, Channel, Event, Ticket

log = logging.getLogger(__name__)


@dataclass
class Filed:
    outcome: Outcome
    ticket: Ticket | None = None
    article: Article | None = None
    auto_replied: bool = False
    ignored: bool = False


def file_message(inbound: InboundMessage, parsed: ParsedMessage) -> Filed:
    if loops.is_own(parsed):
        return Filed(Outcome.LOOP, ignored=True)
    report = parsed.report or classic_bounce(parsed.text, parsed.from_email, parsed.subject)
    if report is not None:
        return _file_bounce(parsed, report)
    subject = parsed.subject.strip() or _("(no subject)")
    body = _body(parsed)
    match = find_thread(parsed)
    if match is not None:
        return _file_reply(match, parsed, subject, body)
    contact = _contact_for(parsed)
    acknowledge = _may_auto_reply(parsed)
    ticket = lifecycle.create_ticket(
        contact=contact,
        subject=subject,
        body=body,
        channel=Channel.EMAIL,
        acknowledge=acknowledge,
        body_html=parsed.html,
    )
    filed = Filed(Outcome.NEW_TICKET, ticket, _last_article(ticket), auto_replied=acknowledge)
    _attach(filed.article, parsed)
    return filed


def _body(parsed: ParsedMessage) -> str:
    body = parsed.body_for_ticket.strip()
    limit = settings.LAUFZETTEL_MAIL_MAX_ATTACHMENT_BYTES
    notes = [
        _(
            "[Attachment %(name)s (%(size)s bytes) is larger than the limit; "
            "it is kept in the raw message.]"
        )
        % {"name": a.filename, "size": a.size}
        for a in parsed.attachments
        if a.size > limit
    ]
    text = "\n\n".join([body, *notes]).strip()
    return text or _("(no visible content)")


def _file_reply(match: ThreadMatch, parsed: ParsedMessage, subject: str, body: str) -> Filed:
    ticket = match.ticket
    if _is_vendor(match, parsed):
        try:
            lifecycle.record_vendor_reply(ticket, body=body, subject=subject, body_html=parsed.html)
            filed = Filed(Outcome.VENDOR_REPLY, ticket, _last_article(ticket))
            _attach(filed.article, parsed)
            return filed
        except lifecycle.LifecycleError:
            log.info("vendor reply to ticket %s filed as a note", ticket.number)
            return _note(ticket, parsed, subject, body, None)
    contact = Contact.objects.with_email(parsed.from_email).select_related("organization").first()
    if contact is not None and _belongs_to(contact, ticket):
        landed = lifecycle.record_customer_reply(
            ticket, contact=contact, body=body, subject=subject, body_html=parsed.html
        )
        filed = Filed(Outcome.CUSTOMER_REPLY, landed, _last_article(landed))
        _attach(filed.article, parsed)
        return filed
    # Someone else writes about this ticket (or forged its tag): the agents see it, the ticket
    # does not change and nothing is sent back, so the sender learns nothing about the ticket.
    return _note(ticket, parsed, subject, body, contact or _contact_for(parsed))


def _note(
    ticket: Ticket, parsed: ParsedMessage, subject: str, body: str, contact: Contact | None
) -> Filed:
    article = lifecycle.record_mail_note(
        ticket, body=body, subject=subject, contact=contact, body_html=parsed.html
    )
    _attach(article, parsed)
    return Filed(Outcome.NOTE, ticket, article)


def _is_vendor(match: ThreadMatch, parsed: ParsedMessage) -> bool:
    if match.vendor_thread or (
        match.outbound is not None and match.outbound.kind == MailKind.VENDOR_HANDOVER
    ):
        return True
    vendor_addresses = set(
        Team.objects.filter(is_vendor=True)
        .exclude(vendor_email="")
        .values_list("vendor_email", flat=True)
    )
    return parsed.from_email in {a.lower() for a in vendor_addresses}


def _belongs_to(contact: Contact, ticket: Ticket) -> bool:
    if contact.pk == ticket.contact_id:
        return True
    return contact.organization_id is not None and contact.organization_id == ticket.organization_id


def _contact_for(parsed: ParsedMessage) -> Contact:
    """The sender's contact; an unknown sender becomes one, filed by their mail domain."""
    address = parsed.from_email or "unknown@invalid"
    contact = Contact.objects.with_email(address).first()
    if contact is not None:
        return contact
    domain = address.rsplit("@", 1)[-1]
    organization = (
        Organization.objects.filter(
            Q(email_domains__iexact=domain)
            | Q(email_domains__istartswith=f"{domain},")
            | Q(email_domains__icontains=f",{domain}")
            | Q(email_domains__icontains=f", {domain}")
        ).first()
        if domain
        else None
    )
    if organization is not None:
        listed = {d.strip().lower() for d in organization.email_domains.split(",")}
        if domain not in listed:
            organization = None
    try:
        with transaction.atomic():
            return create_contact(
                (parsed.from_name or address)[:200], organization=organization, email=address[:254]
            )
    except IntegrityError:
        # Another worker filed a mail of the same new sender at the same moment.
        return Contact.objects.with_email(address).get()


def _may_auto_reply(parsed: ParsedMessage) -> bool:
    if loops.is_automatic(parsed) or not parsed.from_email:
        return False
    recent = InboundMessage.objects.filter(
        sender=parsed.from_email, auto_replied=True, received_at__gte=loops.rate_window_start()
    ).count()
    return loops.auto_reply_allowed(parsed.from_email, recent)


def _last_article(ticket: Ticket) -> Article | None:
    """The article the change just wrote: the ticket's row lock is still held, so it is ours."""
    event = (
        Event.objects.filter(ticket=ticket, article__isnull=False)
        .select_related("article")
        .order_by("-pk")
        .first()
    )
    return event.article if event else None


def _attach(article: Article | None, parsed: ParsedMessage) -> None:
    if article is None:
        return
    limit = settings.LAUFZETTEL_MAIL_MAX_ATTACHMENT_BYTES
    for index, item in enumerate(parsed.attachments):
        if item.size > limit:
            continue
        name = item.filename or f"attachment-{index + 1}"
        attachment = Attachment(
            article=article, name=name[:255], content_type=item.content_type[:200], size=item.size
        )
        # The stored file name is an index: names from mail may be anything.
        attachment.file.save(f"{index + 1}", ContentFile(item.data), save=False)
        attachment.save()


def _file_bounce(parsed: ParsedMessage, report: DeliveryReport) -> Filed:
    """A delivery failure: mark our mail failed and tell its ticket's agents; no new ticket."""
    outbound = (
        OutboundEmail.objects.filter(message_id__in=report.original_message_ids)
        .select_related("ticket")
        .first()
        if report.original_message_ids
        else None
    )
    if outbound is None or outbound.ticket is None:
        return Filed(Outcome.BOUNCE, ignored=True)
    if report.failed:
        outbound.delivery_state = DeliveryState.FAILED
        outbound.last_error = (
            f"bounce {report.status} {', '.join(report.failed_recipients)}: {report.diagnostic}"
        )[:2000]
        outbound.save(update_fields=["delivery_state", "last_error"])
    body = _("Our mail “%(subject)s” to %(to)s could not be delivered: %(reason)s") % {
        "subject": outbound.subject,
        "to": ", ".join(report.failed_recipients or outbound.to),
        "reason": report.diagnostic or report.status or _("no reason given"),
    }
    article = lifecycle.record_mail_note(
        outbound.ticket, body=f"{body}\n\n{parsed.body_for_ticket}".strip(), subject=parsed.subject
    )
    _attach(article, parsed)
    return Filed(Outcome.BOUNCE, outbound.ticket, article)
