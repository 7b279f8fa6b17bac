"""Business-time arithmetic: weekends, state holidays, closing days, DST, 24/7 — exact moments."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from laufzettel.sla.business_time import (
    NoBusinessTime,
    Schedule,
    add_business_days,
    add_business_time,
    business_time_between,
    next_business_moment,
)

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = Schedule()  # Monday-Friday 08:00-17:00 Europe/Berlin, nationwide holidays
BAVARIA = Schedule(subdivision="BY", name="Bayern")
BERLIN_STATE = Schedule(subdivision="BE", name="Berlin")
ALWAYS = Schedule(always_open=True, name="24/7")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Monday 1 June 2026, within the day.
        (local(2026, 6, 1, 9, 0), hours(2), local(2026, 6, 1, 11, 0)),
        # Over the evening: the last hour today, the second tomorrow morning.
        (local(2026, 6, 1, 16, 0), hours(2), local(2026, 6, 2, 9, 0)),
        # Ending exactly at closing time stays on the day.
        (local(2026, 6, 1, 16, 0), hours(1), local(2026, 6, 1, 17, 0)),
        # Arriving at closing time: the clock starts the next morning.
        (local(2026, 6, 1, 17, 0), timedelta(minutes=1), local(2026, 6, 2, 8, 1)),
        # Before opening and on Saturday: the clock waits for the next opening.
        (local(2026, 6, 1, 6, 0), hours(1), local(2026, 6, 1, 9, 0)),
        (local(2026, 6, 13, 10, 0), hours(1), local(2026, 6, 15, 9, 0)),
        # Friday afternoon over the weekend.
        (local(2026, 6, 12, 16, 0), hours(2), local(2026, 6, 15, 9, 0)),
        # A full week of business time: 5 x 9 hours.
        (local(2026, 6, 8, 8, 0), hours(45), local(2026, 6, 12, 17, 0)),
        # Zero duration: the start itself.
        (local(2026, 6, 13, 10, 0), timedelta(0), local(2026, 6, 13, 10, 0)),
    ],
)
def test_add_business_time_in_office_hours(
    start: datetime, duration: timedelta, expected: datetime
) -> None:
    assert add_business_time(start, duration, OFFICE) == expected


def test_corpus_christi_is_a_holiday_in_bavaria_but_not_in_berlin() -> None:
    # Wednesday 3 June 2026, 16:00 + 2 h; Thursday 4 June is Fronleichnam in Bavaria only.
    start = local(2026, 6, 3, 16, 0)
    assert add_business_time(start, hours(2), BAVARIA) == local(2026, 6, 5, 9, 0)
    assert add_business_time(start, hours(2), BERLIN_STATE) == local(2026, 6, 4, 9, 0)
    assert add_business_time(start, hours(2), OFFICE) == local(2026, 6, 4, 9, 0)


def test_easter_weekend_in_bavaria() -> None:
    # Thursday before Easter 2026 + 1 business day: Good Friday, the weekend and Easter Monday
    # are skipped.
    assert add_business_days(local(2026, 4, 2, 10, 0), 1, BAVARIA) == local(2026, 4, 7, 10, 0)


def test_epiphany_in_bavaria_only() -> None:
    # Monday 5 January 2026, 16:30 + 1 h: Tuesday 6 January is Heilige Drei Könige in Bavaria.
    start = local(2026, 1, 5, 16, 30)
    assert add_business_time(start, hours(1), BAVARIA) == local(2026, 1, 7, 8, 30)
    assert add_business_time(start, hours(1), BERLIN_STATE) == local(2026, 1, 6, 8, 30)


def test_custom_closing_days() -> None:
    closed = Schedule(closing_days=frozenset({date(2026, 12, 24), date(2026, 12, 31)}))
    # Wednesday 23 Dec 16:00 + 2 h: 24th closed, 25th/26th holidays, 27th Sunday → Monday 28th.
    assert add_business_time(local(2026, 12, 23, 16, 0), hours(2), closed) == local(
        2026, 12, 28, 9, 0
    )
    assert add_business_time(local(2026, 12, 23, 16, 0), hours(2), OFFICE) == local(
        2026, 12, 24, 9, 0
    )


def test_office_hours_across_the_spring_dst_change() -> None:
    # Friday 27 March 2026 16:00 CET (15:00 UTC) + 4 h: 1 h on Friday, 3 h on Monday from 08:00
    # CEST → 11:00 CEST = 09:00 UTC. Counting in UTC would give 10:00 UTC.
    result = add_business_time(local(2026, 3, 27, 16, 0), hours(4), OFFICE)
    assert result == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert result.astimezone(BERLIN).time() == time(11, 0)


def test_office_hours_across_the_autumn_dst_change() -> None:
    # Friday 23 Oct 2026 16:00 CEST + 4 h → Monday 26 Oct 11:00 CET = 10:00 UTC.
    result = add_business_time(local(2026, 10, 23, 16, 0), hours(4), OFFICE)
    assert result == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)


def test_always_open_counts_real_time_across_dst() -> None:
    # The night of 29 March 2026 has 23 hours: 00:00 CET + 4 h = 05:00 CEST.
    assert add_business_time(local(2026, 3, 29, 0, 0), hours(4), ALWAYS) == local(2026, 3, 29, 5, 0)
    # The night of 25 October has 25 hours: 00:00 CEST + 4 h = 03:00 CET.
    assert add_business_time(local(2026, 10, 25, 0, 0), hours(4), ALWAYS) == local(
        2026, 10, 25, 3, 0
    )
    # Holidays and weekends count too.
    assert add_business_time(local(2026, 12, 24, 22, 0), hours(4), ALWAYS) == local(
        2026, 12, 25, 2, 0
    )


def test_business_time_between() -> None:
    assert business_time_between(local(2026, 6, 12, 16, 0), local(2026, 6, 15, 9, 0), OFFICE) == (
        hours(2)
    )
    assert business_time_between(local(2026, 6, 13, 0, 0), local(2026, 6, 14, 23, 0), OFFICE) == (
        timedelta(0)
    )
    # Fronleichnam in Bavaria: Wed 12:00 → Fri 12:00 is 5 + 4 hours there, 5 + 9 + 4 in Berlin.
    start, end = local(2026, 6, 3, 12, 0), local(2026, 6, 5, 12, 0)
    assert business_time_between(start, end, BAVARIA) == hours(9)
    assert business_time_between(start, end, BERLIN_STATE) == hours(18)
    # End before start: nothing.
    assert business_time_between(end, start, OFFICE) == timedelta(0)
    # 24/7 over the spring change: midnight to 06:00 is five real hours.
    assert business_time_between(
        local(2026, 3, 29, 0, 0), local(2026, 3, 29, 6, 0), ALWAYS
    ) == hours(5)


def test_next_business_moment() -> None:
    assert next_business_moment(local(2026, 6, 13, 10, 0), OFFICE) == local(2026, 6, 15, 8, 0)
    assert next_business_moment(local(2026, 6, 15, 10, 0), OFFICE) == local(2026, 6, 15, 10, 0)


def test_business_days_keep_the_time_of_day() -> None:
    # Friday 15:00 + 2 business days = Tuesday 15:00.
    assert add_business_days(local(2026, 6, 12, 15, 0), 2, OFFICE) == local(2026, 6, 16, 15, 0)


def test_a_calendar_without_working_days_is_refused() -> None:
    never = Schedule(work_days=frozenset(), name="nie")
    with pytest.raises(NoBusinessTime):
        add_business_time(local(2026, 6, 1, 9, 0), hours(1), never)
    with pytest.raises(ValueError):
        Schedule(opens_at=time(17), closes_at=time(8))
    with pytest.raises(ValueError):
        add_business_time(datetime(2026, 6, 1, 9, 0), hours(1), OFFICE)


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=60 * 24 * 20).map(lambda m: timedelta(minutes=m))


@settings(max_examples=200, deadline=None)
@given(start=moments, duration=durations, schedule=st.sampled_from([OFFICE, BAVARIA, ALWAYS]))
def test_adding_and_measuring_are_inverse(
    start: datetime, duration: timedelta, schedule: Schedule
) -> None:
    end = add_business_time(start, duration, schedule)
    assert end >= start
    assert business_time_between(start, end, schedule) == duration
    if duration:
        # The deadline is the first moment the duration is reached: a minute earlier it is not.
        assert business_time_between(start, end - timedelta(minutes=1), schedule) < duration
