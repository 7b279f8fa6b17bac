"""Writes to the directory of customers that more than one channel needs (desk, mail, demo)."""

from django.db import transaction

from laufzettel.accounts.models import Contact, ContactEmail, ContactPhone, Language, Organization


def create_contact(
    name: str,
    *,
    organization: Organization | None = None,
    phone: str = "",
    email: str = "",
    language: str = Language.GERMAN,
) -> Contact:
    """A new contact with an optional phone number (stored as E.164) and primary email address."""
    with transaction.atomic():
        contact = Contact.objects.create(
            name=name.strip(), organization=organization, language=language
        )
        if phone:
            ContactPhone.objects.create(contact=contact, number=phone)
        if email:
            ContactEmail.objects.create(contact=contact, address=email, is_primary=True)
    return contact
