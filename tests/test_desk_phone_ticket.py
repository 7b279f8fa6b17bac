"""A phone ticket typed in while the customer talks: find the caller by number, open the ticket."""

import pytest
from django.urls import reverse

from laufzettel.accounts.models import Contact
from laufzettel.outbox.models import MailKind, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import ArticleKind, Channel, EventKind, State, Ticket

PHONE_PAGE = reverse("desk:phone_ticket")
CREATE = reverse("desk:phone_ticket_create")


@pytest.fixture
def agent_client(client, org):
    client.force_login(org.first_level_agent)
    client.cookies["django_language"] = "en"  # assertions read English texts
    return client


def request_data(**extra):
    return {
        "subject": "Kein Freizeichen",
        "description": "Seit heute früh kein Freizeichen an allen Apparaten.",
        "priority": "high",
        **extra,
    }


def test_caller_found_by_differently_formatted_number(agent_client, org):
    # Stored as +4989... ; typed as the agent hears it.
    old = lifecycle.create_ticket(
        contact=org.customer_a,
        subject="Drucker offline",
        body="…",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )
    done = lifecycle.create_ticket(
        contact=org.customer_a, subject="Erledigt", body="…", channel=Channel.PHONE
    )
    lifecycle.resolve(done, by=org.first_level_agent, resolution="ok")

    response = agent_client.get(PHONE_PAGE, {"q": "089 1234567"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Petra Müller" in page
    assert "Müller Logistik GmbH" in page
    assert "Stefan Schmidt" not in page
    assert old.subject in page and f'href="/tickets/{old.number}/"' in page
    assert "Erledigt" not in page  # only open tickets are listed
    # The only match is preselected as the caller.
    assert f'value="{org.customer_a.pk}" checked' in page


@pytest.mark.parametrize("typed", ["+49 89 1234567", "0049 (89) 123 45 67", "089/1234567"])
def test_number_formats(agent_client, org, typed):
    page = agent_client.get(PHONE_PAGE, {"q": typed}).content.decode()
    assert "Petra Müller" in page


def test_caller_found_by_name_or_organization(agent_client, org):
    page = agent_client.get(PHONE_PAGE, {"q": "schmidt"}).content.decode()
    assert "Stefan Schmidt" in page and "Petra Müller" not in page
    page = agent_client.get(PHONE_PAGE, {"q": "Logistik"}).content.decode()
    assert "Petra Müller" in page and "Stefan Schmidt" not in page


def test_unknown_number_prefills_the_new_caller(agent_client, org):
    page = agent_client.get(PHONE_PAGE, {"q": "0171 2345678"}).content.decode()
    assert "Nobody found" in page
    assert 'value="+491712345678"' in page  # the new caller's phone, normalised


def test_ticket_for_a_found_caller(agent_client, org):
    response = agent_client.post(
        CREATE, request_data(contact=org.customer_a.pk, topic=org.topic_tel.pk, q="089 1234567")
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:ticket", args=[ticket.number])
    assert ticket.channel == Channel.PHONE
    assert ticket.contact == org.customer_a and ticket.organization == org.org_a
    assert ticket.topic == org.topic_tel and ticket.priority == "high"
    assert ticket.state == State.NEW and ticket.team == org.first_level
    article = ticket.articles.get(kind=ArticleKind.PHONE)
    assert article.author_user == org.first_level_agent
    assert ticket.events.get().kind == EventKind.CREATED
    # The caller has an email address: the acknowledgement with the number is queued.
    assert OutboundEmail.objects.get(ticket=ticket).kind == MailKind.ACKNOWLEDGEMENT

    page = agent_client.get(response["Location"]).content.decode()
    assert f"Ticket {ticket.number} was created." in page


def test_new_caller_created_on_the_fly(agent_client, org):
    response = agent_client.post(
        CREATE,
        request_data(
            contact="",
            new_name="Jana Neu",
            new_phone="0171 2345678",
            new_email="Jana.Neu@Mueller-Logistik.example",
            new_organization=org.org_a.pk,
        ),
    )

    assert response.status_code == 302
    caller = Contact.objects.get(name="Jana Neu")
    assert caller.organization == org.org_a
    assert [p.number for p in caller.phones.all()] == ["+491712345678"]
    assert caller.primary_email == "jana.neu@mueller-logistik.example"
    ticket = Ticket.objects.get(contact=caller)
    assert ticket.organization == org.org_a
    # Next time she calls, she is found by her number.
    page = agent_client.get(PHONE_PAGE, {"q": "+49 171 2345678"}).content.decode()
    assert "Jana Neu" in page and ticket.subject in page


def test_new_caller_with_name_only(agent_client, org):
    response = agent_client.post(CREATE, request_data(new_name="Anonymer Anrufer"))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.contact.name == "Anonymer Anrufer" and ticket.organization is None
    assert not OutboundEmail.objects.exists()  # nobody to write to


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"new_name": ""}, "Choose a caller from the search or enter a new caller"),
        ({"new_name": "X", "new_phone": "12"}, "This is not a valid phone number."),
        (
            {"new_name": "X", "new_email": "PETRA.MUELLER@mueller-logistik.example"},
            "This address belongs to Petra Müller",
        ),
        ({"new_name": "X", "subject": ""}, "This field is required."),
    ],
)
def test_invalid_input_creates_nothing(agent_client, org, data, message):
    response = agent_client.post(CREATE, request_data(**data))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Ticket.objects.exists()
    assert Contact.objects.count() == 2  # the two personas only


def test_entered_text_survives_an_error(agent_client, org):
    response = agent_client.post(
        CREATE, request_data(new_name="Jana Neu", new_phone="12", q="Jana")
    )
    page = response.content.decode()
    assert 'value="Jana Neu"' in page
    assert "Seit heute früh kein Freizeichen" in page


def test_found_caller_and_new_caller_at_once_is_refused(agent_client, org):
    # The only match is preselected; a colleague calling from her phone must not be filed as her.
    response = agent_client.post(
        CREATE, request_data(contact=org.customer_a.pk, new_name="Jana Neu", q="089 1234567")
    )
    assert response.status_code == 400
    assert "You chose Petra Müller and entered a new caller" in response.content.decode()
    assert not Ticket.objects.exists()


def test_numbers_are_shown_readably(agent_client, org):
    page = agent_client.get(PHONE_PAGE, {"q": "Petra"}).content.decode()
    assert "+49 89 1234567" in page
