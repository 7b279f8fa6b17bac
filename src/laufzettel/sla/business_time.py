"""Business-time arithmetic: pure functions over a ``Schedule``, no database.

A schedule says when support works: opening hours on working days in one time zone, minus public
holidays of a German state (from the ``holidays`` package) and custom closing days. A 24/7
schedule counts every second. Hours are wall-clock hours of the schedule's zone, so 08:00-17:00
stays nine hours on the days the clocks change, while a 24/7 day then has 23 or 25 hours.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# Arithmetic gives up after this many calendar days without reaching the target: a schedule
# with no working time at all would otherwise loop forever.
MAX_DAYS = 3 * 366


class NoBusinessTime(ValueError):
    """The schedule has no working time within ``MAX_DAYS``."""


@lru_cache(maxsize=256)
def public_holidays(subdivision: str, year: int) -> frozenset[date]:
    """German public holidays of one year, nationwide ("") or of a state ("BY", "BE", ...)."""
    found = holidays.country_holidays("DE", subdiv=subdivision or None, years=year)
    return frozenset(found.keys())


@dataclass(frozen=True)
class Schedule:
    """When the clock runs. ``work_days`` are ISO weekdays (1 = Monday ... 7 = Sunday)."""

    time_zone: str = "Europe/Berlin"
    work_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    opens_at: time = time(8, 0)
    closes_at: time = time(17, 0)
    # German state code for public holidays ("" = only nationwide ones).
    subdivision: str = ""
    closing_days: frozenset[date] = field(default_factory=frozenset)
    always_open: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        if not self.always_open and self.closes_at <= self.opens_at:
            raise ValueError("A business day must close after it opens.")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_working_day(self, day: date) -> bool:
        if self.always_open:
            return True
        return (
            day.isoweekday() in self.work_days
            and day not in self.closing_days
            and day not in public_holidays(self.subdivision, day.year)
        )

    def day_length(self) -> timedelta:
        """Business time in one full working day: what "one business day" means."""
        if self.always_open:
            return timedelta(days=1)
        today = date(2000, 1, 3)
        return datetime.combine(today, self.closes_at) - datetime.combine(today, self.opens_at)

    def open_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The opening hours of ``day`` as aware datetimes, or None on a day off."""
        if not self.is_working_day(day):
            return None
        zone = self.zone
        if self.always_open:
            start = datetime.combine(day, time(0), tzinfo=zone)
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        else:
            start = datetime.combine(day, self.opens_at, tzinfo=zone)
            end = datetime.combine(day, self.closes_at, tzinfo=zone)
        return start, end


def _intervals_from(moment: datetime, schedule: Schedule) -> Iterator[tuple[datetime, datetime]]:
    """Opening intervals clipped to start at ``moment``, in order, for at most ``MAX_DAYS``."""
    local = moment.astimezone(schedule.zone)
    # Start one day early: an interval of the previous local day cannot reach into this one
    # with fixed hours, but it costs nothing to be sure.
    day = local.date() - timedelta(days=1)
    for _ in range(MAX_DAYS):
        interval = schedule.open_interval(day)
        day += timedelta(days=1)
        if interval is None:
            continue
        start, end = interval
        if end <= moment:
            continue
        yield max(start, moment), end
    raise NoBusinessTime(f"Calendar {schedule.name or '?'} has no working time ahead.")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("Business time needs aware datetimes.")
    return moment.astimezone(UTC)


def add_business_time(start: datetime, duration: timedelta, schedule: Schedule) -> datetime:
    """The moment ``duration`` of business time after ``start`` (which may be off hours)."""
    start = _utc(start)
    if duration <= timedelta(0):
        return start
    if schedule.always_open:
        return start + duration
    remaining = duration
    for begin, end in _intervals_from(start, schedule):
        # Aware subtraction in UTC: real elapsed time within the opening hours.
        available = end.astimezone(UTC) - begin.astimezone(UTC)
        if remaining <= available:
            return begin.astimezone(UTC) + remaining
        remaining -= available
    raise AssertionError("unreachable")  # pragma: no cover


def business_time_between(start: datetime, end: datetime, schedule: Schedule) -> timedelta:
    """Business time from ``start`` to ``end`` (zero if ``end`` is not later)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return timedelta(0)
    if schedule.always_open:
        return end - start
    total = timedelta(0)
    for begin, close in _intervals_from(start, schedule):
        begin_utc, close_utc = begin.astimezone(UTC), close.astimezone(UTC)
        if begin_utc >= end:
            break
        total += min(close_utc, end) - begin_utc
        if close_utc >= end:
            break
    return total


def next_business_moment(moment: datetime, schedule: Schedule) -> datetime:
    """``moment`` itself during opening hours, else the next opening."""
    moment = _utc(moment)
    if schedule.always_open:
        return moment
    begin, _ = next(_intervals_from(moment, schedule))
    return begin.astimezone(UTC)


def add_business_days(start: datetime, days: int, schedule: Schedule) -> datetime:
    """``days`` full business days after ``start``: Friday 15:00 + 2 → Tuesday 15:00."""
    return add_business_time(start, schedule.day_length() * days, schedule)
