"""Periodic status mails: where the ticket is in customer words, the latest public note, what
happens next; never while waiting for the customer; restarted by a reply; pausable per ticket."""

import pytest
from django.urls import include, path

from laufzettel import urls as root_urls
from laufzettel.outbox.models import MailKind
from laufzettel.sla.actions import set_status_updates_paused
from laufzettel.sla.models import SlaLedgerEntry, SlaPolicy, TicketSla, TimerKind
from laufzettel.tickets import lifecycle
from tests.conftest import Org, make_contact
from tests.test_sla_support import Clock, local, mail_kinds, mails, open_ticket, pending, sweep

pytest_plugins = ["tests.test_sla_support"]

HANDOVER = lifecycle.Handover(
    initial_situation="Server RZ-7 down",
    affected_persons_text="Buchhaltung",
    solution_attempts="Neustart per Fernwartung",
    measures_taken="Ticket an RZ",
)
CUSTOMER_KINDS = (
    MailKind.ACKNOWLEDGEMENT,
    MailKind.REPLY,
    MailKind.CLARIFICATION,
    MailKind.STATUS_UPDATE,
)

# The pause view through its own URLconf: the root one plus "sla/" (until the lead adds it).
urlpatterns = [path("sla/", include("laufzettel.sla.urls")), *root_urls.urlpatterns]


def customer_mails(ticket: object) -> list[str]:
    return [m.kind for m in mails(ticket, *CUSTOMER_KINDS)]  # type: ignore[arg-type]


def test_status_updates_follow_the_conversation(org: Org, policy: SlaPolicy, clock: Clock) -> None:
    clock.at(local(2026, 6, 1, 9, 0))  # Monday
    ticket = open_ticket(org, topic=org.topic_rz)
    clock.at(local(2026, 6, 1, 9, 30))
    lifecycle.reply_to_customer(ticket, by=org.first_level_agent, text="Wir prüfen den Server.")
    clock.at(local(2026, 6, 1, 9, 40))
    lifecycle.escalate(
        ticket, by=org.first_level_agent, to_team=org.rechenzentrum, handover=HANDOVER
    )

    sweep(clock, local(2026, 6, 1, 13, 29))
    assert customer_mails(ticket) == [MailKind.ACKNOWLEDGEMENT, MailKind.REPLY]
    sweep(clock, local(2026, 6, 1, 13, 30))  # 4 business hours after the reply
    (update,) = mails(ticket, MailKind.STATUS_UPDATE)
    assert update.to == ["petra.mueller@mueller-logistik.example"]
    assert update.subject.startswith("Statusmeldung zu Ihrer Anfrage: Server RZ-7")
    body = update.body_text
    assert "liegt derzeit bei unseren Rechenzentrums-Spezialisten." in body
    assert "Wir prüfen den Server." in body
    assert "Wie es weitergeht: Wir arbeiten weiter" in body
    # The next one: 3.5 hours on Monday, half an hour on Tuesday.
    assert pending(ticket)[(TimerKind.STATUS_UPDATE, "")] == local(2026, 6, 2, 8, 30)

    # Waiting for the customer: no status mails, however long it takes.
    clock.at(local(2026, 6, 2, 8, 0))
    lifecycle.ask_customer(ticket, by=org.second_level_agent, question="Welche IP?")
    sweep(clock, local(2026, 6, 2, 13, 0))
    assert len(mails(ticket, MailKind.STATUS_UPDATE)) == 1

    # The answer restarts the interval: next update 4 business hours later, Wednesday 09:00.
    clock.at(local(2026, 6, 2, 14, 0))
    lifecycle.record_customer_reply(ticket, contact=org.customer_a, body="10.0.0.7")
    sweep(clock, local(2026, 6, 3, 8, 59))
    assert len(mails(ticket, MailKind.STATUS_UPDATE)) == 1
    sweep(clock, local(2026, 6, 3, 9, 0))
    assert len(mails(ticket, MailKind.STATUS_UPDATE)) == 2

    # An agent's public reply restarts it too.
    clock.at(local(2026, 6, 3, 10, 0))
    lifecycle.reply_to_customer(ticket, by=org.second_level_agent, text="Netzteil bestellt.")
    sweep(clock, local(2026, 6, 3, 13, 59))
    assert customer_mails(ticket) == [
        MailKind.ACKNOWLEDGEMENT,
        MailKind.REPLY,
        MailKind.STATUS_UPDATE,
        MailKind.CLARIFICATION,
        MailKind.STATUS_UPDATE,
        MailKind.REPLY,
    ]
    # The second update quotes the latest public note, not the first.
    assert "Netzteil" not in mails(ticket, MailKind.STATUS_UPDATE)[1].body_text
    assert TicketSla.objects.get(ticket=ticket).status_updates_sent == 2


def test_paused_status_updates_send_nothing_until_resumed(
    org: Org, policy: SlaPolicy, clock: Clock
) -> None:
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org)
    set_status_updates_paused(ticket, paused=True, by=org.first_level_agent)
    assert (TimerKind.STATUS_UPDATE, "") not in pending(ticket)
    sweep(clock, local(2026, 6, 5, 17, 0))
    assert mails(ticket, MailKind.STATUS_UPDATE) == []

    clock.at(local(2026, 6, 8, 9, 0))
    set_status_updates_paused(ticket, paused=False, by=org.first_level_agent)
    # Counting restarts at the resumption: no overdue update right away.
    assert pending(ticket)[(TimerKind.STATUS_UPDATE, "")] == local(2026, 6, 8, 13, 0)
    sweep(clock, local(2026, 6, 8, 13, 0))
    assert len(mails(ticket, MailKind.STATUS_UPDATE)) == 1
    actions = list(SlaLedgerEntry.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert "status_paused" in actions and "status_resumed" in actions


def test_status_update_in_english_while_waiting_for_the_vendor(
    org: Org, policy: SlaPolicy, clock: Clock
) -> None:
    james = make_contact("James Carter", org.org_b, "james@example.com", language="en")
    clock.at(local(2026, 6, 1, 9, 0))
    ticket = lifecycle.create_ticket(
        contact=james, subject="Storage array", body="Degraded", channel="email"
    )
    lifecycle.wait_for_vendor(ticket, by=org.first_level_agent, note="asked the vendor")
    sweep(clock, local(2026, 6, 1, 13, 0))
    (update,) = mails(ticket, MailKind.STATUS_UPDATE)
    assert update.subject.startswith("Status of your request: Storage array")
    assert "currently with our customer service" in update.body_text
    assert "waiting for the manufacturer's answer" in update.body_text
    assert mail_kinds(ticket).count(MailKind.STATUS_UPDATE) == 1


@pytest.mark.urls(__name__)
def test_agents_pause_status_updates_by_post(org: Org, policy: SlaPolicy, client: object) -> None:
    ticket = open_ticket(org)
    url = f"/sla/tickets/{ticket.number}/status-updates/"
    client.force_login(org.first_level_agent)  # type: ignore[attr-defined]
    assert client.get(url).status_code == 405  # type: ignore[attr-defined]
    response = client.post(url, {"paused": "1"})  # type: ignore[attr-defined]
    assert response.status_code == 302
    assert TicketSla.objects.get(ticket=ticket).status_updates_paused
    client.post(url, {"paused": "0"})  # type: ignore[attr-defined]
    assert not TicketSla.objects.get(ticket=ticket).status_updates_paused
    # A customer-side user (no agent profile) may not.
    from django.contrib.auth.models import User

    outsider = User.objects.create_user("kunde", password="x")
    client.force_login(outsider)  # type: ignore[attr-defined]
    assert client.post(url, {"paused": "1"}).status_code == 403  # type: ignore[attr-defined]


def test_the_worker_delivers_status_updates_over_smtp(
    org: Org, policy: SlaPolicy, clock: Clock, smtp_sink: object
) -> None:
    from laufzettel.ops.worker import drain

    clock.at(local(2026, 6, 1, 9, 0))
    ticket = open_ticket(org)
    clock.at(local(2026, 6, 1, 13, 0))
    drain()  # fires the status update, then delivers both mails
    received = smtp_sink.to("petra.mueller@mueller-logistik.example")  # type: ignore[attr-defined]
    subjects = sorted(str(m["Subject"]).split(":")[0] for m in received)
    assert subjects == ["Ihre Anfrage ist bei uns eingegangen", "Statusmeldung zu Ihrer Anfrage"]
    # The team got the first-response warning and breach in the same run.
    assert len(smtp_sink.to("anna@support.example")) == 2  # type: ignore[attr-defined]
    update = next(m for m in received if str(m["Subject"]).startswith("Status"))
    # Automatic mails say so, so that out-of-office replies do not answer them.
    assert update["Auto-Submitted"] == "auto-generated"
    assert update["X-Laufzettel-Ticket"] == ticket.number
    drain()
    assert len(smtp_sink.to("petra.mueller@mueller-logistik.example")) == 2  # type: ignore[attr-defined]
