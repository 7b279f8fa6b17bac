"""The demo's mails go out through the outbox like any other: each exactly once, in its language."""

import pytest

from laufzettel.ops.demo_data import load_demo_data
from laufzettel.ops.worker import drain
from laufzettel.outbox.models import DeliveryState, OutboundEmail


@pytest.mark.django_db
def test_demo_mails_reach_the_mail_server_once_each(smtp_sink) -> None:
    load_demo_data()
    queued = set(OutboundEmail.objects.values_list("message_id", flat=True))
    assert len(queued) >= 20

    drain()

    assert smtp_sink.wait_for(len(queued))
    assert smtp_sink.message_ids() == dict.fromkeys(queued, 1)
    assert not OutboundEmail.objects.exclude(delivery_state=DeliveryState.SENT).exists()
    # The English-speaking contact is written to in English.
    subjects = sorted(
        str(m["Subject"]) for m in smtp_sink.to("james.carter@nordwind-software.example")
    )
    assert [s.split(":")[0] for s in subjects] == [
        "We have received your request",
        "We have received your request",
        "Your request has been resolved",
    ], subjects
    vendor = smtp_sink.to("support@storage-hersteller.example")
    assert len(vendor) == 2  # two escalations to the storage vendor
