"""The demo's stories are told back from a working-day "today", whenever the demo is loaded."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from laufzettel.ops.demo_data import business_anchor, load_demo_data, parse_moment
from laufzettel.tickets.models import Event, Ticket

BERLIN = ZoneInfo("Europe/Berlin")


# A weekday afternoon, a Monday before office hours, a Sunday night: the story fits every time.
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2025, 3, 12, 15, 0, tzinfo=BERLIN),
        datetime(2025, 3, 17, 7, 30, tzinfo=BERLIN),
        datetime(2025, 3, 16, 23, 59, tzinfo=BERLIN),
    ],
)
@pytest.mark.django_db
def test_the_stories_fit_whenever_the_demo_is_loaded(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        summary = load_demo_data()
        assert all(n > 0 for n in summary.tickets_by_state.values()), summary.tickets_by_state
        latest = Event.objects.order_by("-created_at").values_list("created_at", flat=True)[0]
        assert latest <= timezone.now()
        # What happened in the demo's past happened on working days.
        for created in Ticket.objects.values_list("created_at", flat=True):
            assert timezone.localtime(created).weekday() < 5


def test_business_anchor() -> None:
    wednesday_afternoon = datetime(2025, 3, 12, 15, 0, tzinfo=BERLIN)
    assert business_anchor(wednesday_afternoon) == wednesday_afternoon
    # Before 11:00 the "today" of the stories is the previous working day's 17:30.
    assert business_anchor(datetime(2025, 3, 17, 9, 0, tzinfo=BERLIN)) == datetime(
        2025, 3, 14, 17, 30, tzinfo=BERLIN
    )
    assert business_anchor(datetime(2025, 3, 16, 3, 0, tzinfo=UTC)) == datetime(
        2025, 3, 14, 17, 30, tzinfo=BERLIN
    )
    assert business_anchor(datetime(2025, 3, 12, 19, 0, tzinfo=BERLIN)) == datetime(
        2025, 3, 12, 17, 30, tzinfo=BERLIN
    )


def test_parse_moment_counts_working_days() -> None:
    wednesday = datetime(2025, 3, 12, 15, 0, tzinfo=BERLIN)
    week = timedelta(days=7)
    assert parse_moment("2h 45m", wednesday, week) == wednesday - timedelta(hours=2, minutes=45)
    assert parse_moment("1d 09:10", wednesday, week) == datetime(2025, 3, 11, 9, 10, tzinfo=BERLIN)
    # Three working days before a Wednesday is the Friday before (the weekend does not count).
    assert parse_moment("3d 08:00", wednesday, week) == datetime(2025, 3, 7, 8, 0, tzinfo=BERLIN)
    assert parse_moment("window + 1d 10:00", wednesday, week) == datetime(
        2025, 3, 4, 10, 0, tzinfo=BERLIN
    )
    with pytest.raises(ValueError):
        parse_moment("yesterday", wednesday, week)
