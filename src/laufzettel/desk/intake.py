"""The phone intake: find the caller while they talk, and open their ticket in one step."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Prefetch, Q

from laufzettel.accounts.actions import create_contact
from laufzettel.accounts.models import Contact, Organization
from laufzettel.lib.phone import looks_like_phone, normalize_phone
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel, Priority, Ticket, Topic

MAX_MATCHES = 20


def find_callers(query: str) -> list[Contact]:
    """Contacts matching a typed number (in any format) or a name, with their open tickets.

    A number is compared in E.164, the form every stored number has, so "089 1234567" finds
    "+49 89 1234567". A name matches the contact's or their organization's name.
    """
    query = query.strip()
    if not query:
        return []
    if looks_like_phone(query):
        e164 = normalize_phone(query)
        if e164 is None:
            return []
        contacts = Contact.objects.with_phone(e164)
    else:
        contacts = Contact.objects.filter(
            Q(name__icontains=query) | Q(organization__name__icontains=query)
        )
    open_tickets = Ticket.objects.open().select_related("topic", "team").order_by("-updated_at")
    return list(
        contacts.select_related("organization").prefetch_related(
            "phones",
            "emails",
            Prefetch("tickets", queryset=open_tickets, to_attr="open_tickets"),
        )[:MAX_MATCHES]
    )


@dataclass(frozen=True)
class NewCaller:
    name: str
    phone: str = ""  # E.164 or empty
    email: str = ""
    organization: Organization | None = None


def open_phone_ticket(
    *,
    by: User,
    contact: Contact | None,
    new_caller: NewCaller | None,
    subject: str,
    description: str,
    topic: Topic | None,
    priority: Priority,
) -> Ticket:
    """Open a phone ticket for a known caller, or for a new one created in the same transaction.

    One transaction, so a refused ticket leaves no half-entered caller behind.
    """
    with transaction.atomic():
        if contact is None:
            if new_caller is None:
                raise ValueError("A phone ticket needs a caller.")
            contact = create_contact(
                new_caller.name,
                organization=new_caller.organization,
                phone=new_caller.phone,
                email=new_caller.email,
            )
        return lifecycle.create_ticket(
            contact=contact,
            subject=subject,
            body=description,
            channel=Channel.PHONE,
            by=by,
            topic=topic,
            priority=priority,
        )
