"""In a real browser: a customer signs in by emailed link and answers the agent's question."""

import re

import pytest
from playwright.sync_api import expect

from laufzettel.outbox.delivery import deliver_due
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel, State
from tests.browser import browser_context, chromium, english, shoot  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_customer_answers_a_clarification_in_the_portal(
    live_server,
    browser_context,  # noqa: F811
    org,
    smtp_sink,
):
    ticket = lifecycle.create_ticket(
        contact=org.customer_a,
        subject="Telefonanlage klingelt nicht",
        body="Eingehende Anrufe klingeln an keinem Apparat.",
        channel=Channel.EMAIL,
    )
    lifecycle.ask_customer(
        ticket, by=org.first_level_agent, question="Welche Durchwahl ist betroffen?"
    )
    deliver_due()
    sent_before = len(smtp_sink.messages)

    context = browser_context()
    english(context, live_server.url)
    page = context.new_page()
    page.goto(live_server.url + "/portal/")
    expect(page).to_have_url(re.compile(r"/portal/login/$"))
    page.fill("#id_email", "Petra.Mueller@mueller-logistik.example")
    shoot(page, "portal-login")
    page.click("button.primary")
    expect(page.locator(".link-sent")).to_be_visible()

    # The link travels by real mail: outbox row, worker delivery, SMTP server.
    deliver_due()
    assert smtp_sink.wait_for(sent_before + 1, timeout=10)
    mail = smtp_sink.to("petra.mueller@mueller-logistik.example")[-1]
    link = re.search(r"https?://\S+/portal/login/link/\S+/", mail.get_content()).group(0)
    page.goto(link)
    page.click("button.primary")

    row = page.locator("tr", has_text="Telefonanlage klingelt nicht")
    expect(row).to_contain_text("waiting for your answer")
    shoot(page, "portal-home")
    row.locator("a").first.click()
    expect(page.locator(".timeline")).to_contain_text("Welche Durchwahl ist betroffen?")
    expect(page.locator("#message-title")).to_contain_text("Answer our question")
    page.fill("#id_text", "Die Durchwahl 200 in der Zentrale.")
    shoot(page, "portal-ticket")
    page.click(".portal-message button.primary")

    expect(page.locator(".message.success")).to_contain_text("Thank you for your answer")
    expect(page.locator(".where")).to_contain_text("being worked on")
    expect(page.locator(".timeline")).to_contain_text("Die Durchwahl 200")
    ticket.refresh_from_db()
    # The answer brings the ticket back to the agent who asked.
    assert ticket.state == State.OPEN and ticket.owner == org.first_level_agent

    # The link was for one sign-in only.
    other = browser_context()
    english(other, live_server.url)
    again = other.new_page()
    again.goto(link)
    again.click("button.primary")
    expect(again.locator(".message.error")).to_contain_text("no longer valid")
