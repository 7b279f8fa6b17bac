import pytest
from django.core.exceptions import ValidationError

from laufzettel.accounts.models import Contact, ContactEmail, ContactPhone
from laufzettel.lib.phone import looks_like_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    ["089 1234567", "+49 89 1234567", "0049 (89) 123 45 67", "+49-89-1234567", "089/1234567"],
)
def test_phone_numbers_are_stored_in_e164(db, typed):
    contact = Contact.objects.create(name="Petra Müller")
    phone = ContactPhone.objects.create(contact=contact, number=typed)
    assert phone.number == "+49891234567"
    assert Contact.objects.with_phone(normalize_phone("089 1234567")).get() == contact


def test_foreign_and_invalid_numbers():
    assert normalize_phone("+43 1 5055555") == "+4315055555"
    assert normalize_phone("12") is None
    assert normalize_phone("kein Anschluss") is None
    with pytest.raises(ValidationError):
        ContactPhone(number="12").clean()
    assert looks_like_phone("089 123 456") and not looks_like_phone("Müller")


def test_email_addresses_are_matched_case_insensitively(db):
    contact = Contact.objects.create(name="Stefan Schmidt")
    ContactEmail.objects.create(contact=contact, address=" S.Schmidt@Schmidt-Bau.example ")
    assert Contact.objects.with_email("s.schmidt@SCHMIDT-bau.example").get() == contact
    assert contact.primary_email == "s.schmidt@schmidt-bau.example"
