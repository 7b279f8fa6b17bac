"""The Django admin: configuration data is editable, tickets and their history only readable."""

import pytest
from django.urls import reverse

from laufzettel.accounts.models import AgentProfile, ContactPhone, Organization
from laufzettel.outbox.delivery import deliver_due
from laufzettel.outbox.models import DeliveryState, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Article, Channel, Event, Ticket


@pytest.fixture
def admin_client(client, org):
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def ticket(org) -> Ticket:
    ticket = lifecycle.create_ticket(
        contact=org.customer_a,
        subject="NAS offline",
        body="Seit 8 Uhr.",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )
    lifecycle.add_note(ticket, by=org.first_level_agent, body="Notiz")
    return ticket


def test_every_page_opens(admin_client, org, ticket):
    mail = OutboundEmail.objects.get()
    objects = [
        org.org_a,
        org.customer_a,
        org.first_level,
        org.first_level_agent.agent_profile,
        org.first_level_agent,
        org.topic_rz,
        ticket,
        ticket.articles.first(),
        ticket.events.first(),
        mail,
    ]
    for obj in objects:
        meta = obj._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        assert admin_client.get(changelist).status_code == 200, changelist
        assert admin_client.get(change).status_code == 200, change
    assert admin_client.get(reverse("admin:index")).status_code == 200


def test_organization_shows_its_contacts_with_addresses_and_numbers(admin_client, org):
    page = admin_client.get(reverse("admin:accounts_organization_change", args=[org.org_a.pk]))
    text = page.content.decode()
    assert "Petra Müller" in text
    assert "petra.mueller@mueller-logistik.example" in text and "+49891234567" in text
    assert "Stefan Schmidt" not in text


def test_contact_phone_is_stored_in_e164(admin_client, org):
    url = reverse("admin:accounts_contact_change", args=[org.customer_b.pk])
    phone = org.customer_b.phones.get()
    email = org.customer_b.emails.get()
    data = {
        "name": "Stefan Schmidt",
        "organization": org.org_b.pk,
        "language": "de",
        "position": "",
        "notes": "",
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "1",
        "emails-0-id": email.pk,
        "emails-0-contact": org.customer_b.pk,
        "emails-0-address": email.address,
        "emails-0-is_primary": "on",
        "phones-TOTAL_FORMS": "2",
        "phones-INITIAL_FORMS": "1",
        "phones-0-id": phone.pk,
        "phones-0-contact": org.customer_b.pk,
        "phones-0-number": phone.number,
        "phones-0-label": "",
        "phones-1-contact": org.customer_b.pk,
        "phones-1-number": "0171 / 987 65 43",
        "phones-1-label": "mobil",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ContactPhone.objects.filter(contact=org.customer_b, number="+491719876543").exists()

    data["phones-1-number"] = "kaputt"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "This is not a valid phone number." in response.content.decode()


def test_contact_search_by_number_in_any_format(admin_client, org):
    url = reverse("admin:accounts_contact_changelist")
    text = admin_client.get(url, {"q": "089 1234567"}).content.decode()
    assert "Petra Müller" in text and "Stefan Schmidt" not in text


def test_agent_is_made_on_the_user_page(admin_client, org):
    page = admin_client.get(reverse("admin:auth_user_change", args=[org.second_level_agent.pk]))
    text = page.content.decode()
    assert "agent profile" in text.lower() and "Rechenzentrum" in text
    assert AgentProfile.objects.filter(user=org.second_level_agent).exists()


def test_organization_can_be_added(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_organization_add"),
        {
            "name": "Neue GmbH",
            "customer_number": "K-1",
            "email_domains": "neu.example",
            "notes": "",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert Organization.objects.filter(name="Neue GmbH").exists()


@pytest.mark.parametrize("model", [Ticket, Article, Event])
def test_tickets_and_history_are_read_only(admin_client, ticket, model):
    obj = model.objects.filter(pk__isnull=False).first()
    meta = model._meta
    name = f"admin:{meta.app_label}_{meta.model_name}"
    assert admin_client.get(reverse(f"{name}_add")).status_code == 403
    assert admin_client.get(reverse(f"{name}_delete", args=[obj.pk])).status_code == 403
    change = admin_client.get(reverse(f"{name}_change", args=[obj.pk])).content.decode()
    assert 'name="_save"' not in change
    changelist = admin_client.get(reverse(f"{name}_changelist")).content.decode()
    assert "delete_selected" not in changelist


def test_events_cannot_be_deleted_in_bulk(admin_client, ticket):
    count = Event.objects.count()
    response = admin_client.post(
        reverse("admin:tickets_event_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": list(Event.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code in (200, 302)
    assert Event.objects.count() == count


def test_ticket_admin_finds_a_ticket_by_number(admin_client, org, ticket):
    other = lifecycle.create_ticket(
        contact=org.customer_b, subject="Anderes", body="…", channel=Channel.PHONE
    )
    text = admin_client.get(
        reverse("admin:tickets_ticket_changelist"), {"q": ticket.number}
    ).content.decode()
    assert "NAS offline" in text and other.subject not in text


def test_outbound_mail_shows_delivery_and_failed_ones_can_be_retried(
    admin_client, ticket, smtp_sink, settings
):
    settings.LAUFZETTEL_OUTBOX_MAX_ATTEMPTS = 1
    smtp_sink.respond = lambda message: "550 5.1.1 No such user"
    assert deliver_due().failed == 1
    mail = OutboundEmail.objects.get()
    text = admin_client.get(reverse("admin:outbox_outboundemail_changelist")).content.decode()
    assert "No such user" in text and "failed" in text

    smtp_sink.respond = None
    response = admin_client.post(
        reverse("admin:outbox_outboundemail_changelist"),
        {"action": "retry_failed", "_selected_action": [mail.pk]},
    )
    assert response.status_code == 302
    mail.refresh_from_db()
    assert mail.delivery_state == DeliveryState.QUEUED
    assert deliver_due().sent == 1 and smtp_sink.wait_for(1)
    assert (
        admin_client.get(reverse("admin:outbox_outboundemail_delete", args=[mail.pk])).status_code
        == 403
    )
