from laufzettel.outbox.delivery import deliver_due
from laufzettel.tickets import lifecycle
from laufzettel.tickets.models import Channel, State


def test_smoke(org, smtp_sink):
    t = lifecycle.create_ticket(
        contact=org.customer_a,
        subject="Server down",
        body="Nix geht",
        channel=Channel.PHONE,
        by=org.first_level_agent,
    )
    t = lifecycle.qualify(t, by=org.first_level_agent, topic=org.topic_rz)
    assert t.state == State.OPEN
    report = deliver_due()
    assert report.sent == 1
    assert smtp_sink.wait_for(1)
