"""DESIGN §1 end to end: one ticket's whole routing slip, with every mail through real SMTP."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from laufzettel.outbox.delivery import deliver_due
from laufzettel.outbox.models import DeliveryState, OutboundEmail
from laufzettel.tickets import lifecycle
from laufzettel.tickets.lifecycle import Handover
from laufzettel.tickets.models import ArticleKind, Channel, EventKind, State, Ticket

CUSTOMER = "petra.mueller@mueller-logistik.example"
VENDOR = "support@vendor.example"


def deliver_all() -> None:
    report = deliver_due()
    assert report.failed == 0 and report.retrying == 0, report.errors


def test_phone_ticket_through_three_levels_to_closed(org, smtp_sink, settings):
    settings.LAUFZETTEL_FOLLOW_UP_DAYS = 7
    start = timezone.now()
    anna, bernd = org.first_level_agent, org.second_level_agent

    with time_machine.travel(start, tick=False) as clock:
        # 1. A call at first level becomes a ticket at once.
        ticket = lifecycle.create_ticket(
            contact=org.customer_a,
            subject="Storage im Rack 12 nicht erreichbar",
            body="Frau Müller meldet: seit 8 Uhr ist das NAS im Rack 12 nicht erreichbar.",
            channel=Channel.PHONE,
            by=anna,
        )
        assert (ticket.state, ticket.team, ticket.level) == (State.NEW, org.first_level, 1)

        # 2. Qualified as Rechenzentrum.
        ticket = lifecycle.qualify(
            ticket, by=anna, topic=org.topic_rz, affected_persons_text="Lagerverwaltung, 12 Plätze"
        )
        assert ticket.state == State.OPEN and ticket.topic == org.topic_rz

        # 3. Escalated to second level with a handover.
        clock.shift(timedelta(minutes=10))
        ticket = lifecycle.escalate(
            ticket,
            by=anna,
            to_team=org.rechenzentrum,
            handover=Handover(
                initial_situation=ticket.initial_situation,
                affected_persons_text="Lagerverwaltung, 12 Plätze",
                solution_attempts="Ping auf NAS schlägt fehl; Switch-Port zeigt Link.",
                measures_taken="Kunde hat NAS neu gestartet, ohne Erfolg.",
                affected_contact_ids=[org.customer_a.pk],
                note="Bitte dringend, Lager steht.",
            ),
        )
        assert (ticket.team, ticket.level, ticket.owner) == (org.rechenzentrum, 2, None)
        ticket = lifecycle.assign(ticket, by=bernd, owner=bernd)

        # 4. Clarification asked and answered: the answer comes back to the asking agent.
        clock.shift(timedelta(minutes=20))
        ticket = lifecycle.ask_customer(
            ticket, by=bernd, question="Welche Firmware-Version zeigt das Display des NAS?"
        )
        assert ticket.state == State.WAITING_FOR_CUSTOMER
        deliver_all()
        clock.shift(timedelta(hours=1))
        ticket = lifecycle.record_customer_reply(
            ticket, contact=org.customer_a, body="Dort steht 4.2.1.", channel=Channel.EMAIL
        )
        assert (ticket.state, ticket.team, ticket.owner) == (State.OPEN, org.rechenzentrum, bernd)

        # 5. Escalated to the vendor: the handover goes out by mail, the ticket waits.
        ticket = lifecycle.escalate(
            ticket,
            by=bernd,
            to_team=org.vendor,
            handover=Handover(
                initial_situation=ticket.initial_situation,
                affected_persons_text=ticket.affected_persons_text,
                solution_attempts=ticket.solution_attempts + "\nFirmware 4.2.1 bestätigt.",
                measures_taken=ticket.measures_taken,
            ),
        )
        assert (ticket.state, ticket.level) == (State.WAITING_FOR_VENDOR, 3)
        deliver_all()
        clock.shift(timedelta(hours=3))
        ticket = lifecycle.record_vendor_reply(
            ticket, body="Bekannter Fehler in 4.2.1, bitte auf 4.2.3 aktualisieren."
        )
        assert (ticket.state, ticket.team, ticket.owner) == (State.OPEN, org.rechenzentrum, bernd)

        # 6. Resolved: the customer's confirmation arrives at a real SMTP server.
        ticket = lifecycle.resolve(
            ticket, by=bernd, resolution="Firmware auf 4.2.3 aktualisiert, NAS wieder erreichbar."
        )
        assert ticket.state == State.RESOLVED
        assert ticket.follow_up_until == timezone.now() + timedelta(days=7)
        deliver_all()
        confirmation = [m for m in smtp_sink.to(CUSTOMER) if "gelöst" in str(m["Subject"])]
        assert len(confirmation) == 1
        assert f"[Ticket#{ticket.number}]" in str(confirmation[0]["Subject"])
        assert "4.2.3" in confirmation[0].get_body(("plain",)).get_content()

        # 7. The customer replies within the window: reopened at the resolving agent.
        clock.shift(timedelta(days=6))
        ticket = lifecycle.record_customer_reply(
            ticket, contact=org.customer_a, body="Heute Morgen wieder ausgefallen."
        )
        assert (ticket.state, ticket.team, ticket.owner) == (State.OPEN, org.rechenzentrum, bernd)
        assert ticket.follow_up_until is None

        # 8. Resolved again, and closed by the worker's timer after the window.
        ticket = lifecycle.resolve(ticket, by=bernd, resolution="Netzteil getauscht.")
        deliver_all()
        clock.shift(timedelta(days=7) - timedelta(seconds=1))
        assert lifecycle.close_due_tickets() == 0
        clock.shift(timedelta(seconds=1))
        assert lifecycle.close_due_tickets() == 1
        assert lifecycle.close_due_tickets() == 0

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.state == State.CLOSED

    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.CREATED,
        EventKind.QUALIFIED,
        EventKind.ESCALATED,
        EventKind.ASSIGNED,
        EventKind.ASKED,
        EventKind.CUSTOMER_REPLIED,
        EventKind.ESCALATED,
        EventKind.VENDOR_REPLIED,
        EventKind.RESOLVED,
        EventKind.REOPENED,
        EventKind.RESOLVED,
        EventKind.CLOSED,
    ]
    states = list(ticket.events.exclude(to_state="").values_list("from_state", "to_state"))
    assert states == [
        ("", State.NEW),
        (State.NEW, State.OPEN),
        (State.OPEN, State.OPEN),
        (State.OPEN, State.WAITING_FOR_CUSTOMER),
        (State.WAITING_FOR_CUSTOMER, State.OPEN),
        (State.OPEN, State.WAITING_FOR_VENDOR),
        (State.WAITING_FOR_VENDOR, State.OPEN),
        (State.OPEN, State.RESOLVED),
        (State.RESOLVED, State.OPEN),
        (State.OPEN, State.RESOLVED),
        (State.RESOLVED, State.CLOSED),
    ]

    articles = list(ticket.articles.values_list("kind", "visibility"))
    assert articles == [
        (ArticleKind.PHONE, "public"),  # the call
        (ArticleKind.EMAIL_OUT, "public"),  # acknowledgement
        (ArticleKind.HANDOVER, "internal"),  # to Rechenzentrum
        (ArticleKind.EMAIL_OUT, "public"),  # the question
        (ArticleKind.EMAIL_IN, "public"),  # the answer
        (ArticleKind.HANDOVER, "internal"),  # to the vendor
        (ArticleKind.EMAIL_OUT, "internal"),  # the vendor mail
        (ArticleKind.EMAIL_IN, "internal"),  # the vendor's answer
        (ArticleKind.EMAIL_OUT, "public"),  # confirmation
        (ArticleKind.EMAIL_IN, "public"),  # customer reopens
        (ArticleKind.EMAIL_OUT, "public"),  # second confirmation
    ]

    # Every mail arrived exactly once: 4 to the customer, 1 to the vendor.
    outbox = OutboundEmail.objects.filter(ticket=ticket)
    assert set(outbox.values_list("delivery_state", flat=True)) == {DeliveryState.SENT}
    received = smtp_sink.message_ids()
    assert sorted(received) == sorted(outbox.values_list("message_id", flat=True))
    assert set(received.values()) == {1}
    assert len(smtp_sink.to(CUSTOMER)) == 4
    vendor_mails = smtp_sink.to(VENDOR)
    assert len(vendor_mails) == 1
    assert "Firmware 4.2.1 bestätigt" in vendor_mails[0].get_body(("plain",)).get_content()
