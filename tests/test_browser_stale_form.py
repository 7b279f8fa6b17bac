"""In a real browser: two agents on one ticket see each other; the older form is refused."""

import pytest
from playwright.sync_api import expect

from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel, Priority
from tests.browser import agent_page, browser_context, chromium, shoot  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_stale_form_is_refused_not_applied(live_server, browser_context, org):  # noqa: F811
    ticket = lifecycle.create_ticket(
        contact=org.customer_b,
        subject="VPN bricht ab",
        body="Alle 10 Minuten fällt die VPN-Verbindung aus.",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )
    url = f"{live_server.url}/tickets/{ticket.number}/"

    anna = agent_page(browser_context, live_server, "anna")
    with anna.expect_response(lambda r: r.url.endswith("/presence/")):
        anna.goto(url)
    tom = agent_page(browser_context, live_server, "tom")
    tom.goto(url)
    # Tom's page knows at once that Anna is on the ticket; Anna's learns it at her next beat.
    expect(tom.locator("#presence")).to_contain_text("Also on this ticket: Anna")

    # Anna saves first ...
    anna.select_option("#qualify-priority", "urgent")
    anna.click("#action-qualify button[type=submit]")
    expect(anna.locator(".message.success")).to_contain_text("details were saved")

    # ... Tom's form still carries the version he loaded: refused, with a clear sentence.
    tom.fill("#qualify-subject", "VPN bricht ständig ab")
    tom.click("#action-qualify button[type=submit]")
    error = tom.locator(".message.error")
    expect(error).to_contain_text("was changed by someone else in the meantime")
    shoot(tom, "desk-stale-form-refused")

    ticket.refresh_from_db()
    assert ticket.subject == "VPN bricht ab"  # Tom's change did not overwrite anything
    assert ticket.priority == Priority.URGENT  # Anna's change stands
    # After reloading, Tom sees Anna's change and may save his.
    expect(tom.locator("#qualify-priority")).to_have_value("urgent")
    if tom.locator("#action-qualify").get_attribute("open") is None:  # closed once open
        tom.click("#action-qualify summary")
    tom.fill("#qualify-subject", "VPN bricht ständig ab")
    tom.click("#action-qualify button[type=submit]")
    expect(tom.locator(".message.success")).to_contain_text("details were saved")
    ticket.refresh_from_db()
    assert ticket.subject == "VPN bricht ständig ab" and ticket.priority == Priority.URGENT
