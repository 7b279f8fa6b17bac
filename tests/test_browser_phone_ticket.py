"""In a real browser: a phone call becomes a ticket, is qualified and escalated with a handover."""

import pytest
from playwright.sync_api import expect

from laufzettel.tickets.models import State, Ticket
from tests.browser import agent_page, browser_context, chromium, shoot  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_phone_ticket_from_call_to_escalation(live_server, browser_context, org):  # noqa: F811
    page = agent_page(browser_context, live_server, "anna")
    page.click("text=Phone ticket")
    # The caller gives their number the way people say it; the desk finds them in E.164.
    page.fill("#id_q", "089 1234567")
    page.click("text=Find caller")
    caller = page.locator("li.caller", has_text="Petra Müller")
    expect(caller).to_contain_text("Müller Logistik GmbH")
    expect(caller.locator("input[type=radio]")).to_be_checked()  # the only match is chosen
    page.fill("#caller-subject", "Server im Rack 3 nicht erreichbar")
    page.fill("#caller-description", "Seit 9 Uhr antwortet der Fileserver nicht mehr.")
    page.select_option("#caller-topic", label="Rechenzentrum")
    page.select_option("#caller-priority", "high")
    shoot(page, "desk-phone-ticket")
    page.click("button:has-text('Create ticket')")

    expect(page.locator(".message.success")).to_contain_text("was created")
    ticket = Ticket.objects.get(subject="Server im Rack 3 nicht erreichbar")
    assert ticket.contact == org.customer_a and ticket.channel == "phone"
    assert page.url.endswith(f"/tickets/{ticket.number}/")

    # Document what first level found and did: the details form is open on a new ticket.
    page.fill("#qualify-solution_attempts", "Ping auf den Server: keine Antwort.")
    page.fill("#qualify-measures_taken", "Kunde gebeten, die Stromversorgung zu prüfen.")
    page.click("#action-qualify button[type=submit]")
    expect(page.locator(".message.success")).to_contain_text("details were saved")

    # The handover is prefilled from the routing slip and the topic's department.
    page.click("#action-escalate summary")
    expect(page.locator("#escalate-to_team")).to_have_value(str(org.rechenzentrum.pk))
    expect(page.locator("#escalate-solution_attempts")).to_have_value(
        "Ping auf den Server: keine Antwort."
    )
    page.fill("#escalate-affected_persons_text", "Alle 40 Mitarbeiter am Standort München")
    page.fill("#escalate-note", "Bitte dringend ansehen, Kunde wartet.")
    shoot(page, "desk-escalate-form")
    page.click("#action-escalate button[type=submit]")

    expect(page.locator(".message.success")).to_contain_text("escalated")
    path = page.locator(".slip-path")
    expect(path.locator(".stop")).to_have_count(2)
    expect(path.locator(".stop").nth(0)).to_contain_text("Kundenbetreuung")
    expect(path.locator(".stop.current")).to_contain_text("Rechenzentrum")
    expect(page.locator(".timeline")).to_contain_text("Bitte dringend ansehen")
    shoot(page, "desk-ticket")

    ticket.refresh_from_db()
    assert ticket.team == org.rechenzentrum and ticket.state == State.OPEN
    assert ticket.affected_persons_text == "Alle 40 Mitarbeiter am Standort München"

    # The start page and the queue of the receiving team show it; the dashboard draws charts.
    page.goto(live_server.url + "/queues/teams/")
    page.context.clear_cookies()
    bernd = agent_page(browser_context, live_server, "bernd")
    expect(bernd.locator("#queue-unassigned")).to_contain_text("Server im Rack 3")
    shoot(bernd, "desk-home")
    bernd.click("nav >> text=Queues")
    bernd.select_option("#filter-priority", "high")
    expect(bernd.locator("#queue-list")).to_contain_text("Server im Rack 3")
    shoot(bernd, "desk-queue")
    bernd.click("nav >> text=Dashboard")
    expect(bernd.locator("#chart-open-level svg rect")).not_to_have_count(0)
    shoot(bernd, "desk-dashboard")
