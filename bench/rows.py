"""Rows as the generator writes them: plain tuples in column order, plus the small helpers
that build them quickly (weighted picks, timestamps in the database's format, office hours).
"""

import json
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from laufzettel.tickets.models import Priority, State

MINUTE, HOUR, DAY = 60, 3600, 86400

# The columns of each table, in the order of the row tuples; columns not named here
# (added later by other features) get their field default when the rows are written.
TICKET_COLUMNS = (
    "id", "subject", "contact_id", "organization_id", "topic_id", "priority", "channel",
    "team_id", "owner_id", "state", "initial_situation", "affected_persons_text",
    "solution_attempts", "measures_taken", "resolution", "return_to_user_id",
    "return_to_team_id", "resolved_by_id", "resolved_team_id", "resolved_at", "follow_up_until",
    "closed_at", "merged_into_id", "created_at", "updated_at", "version",
)  # fmt: skip
ARTICLE_COLUMNS = (
    "id", "ticket_id", "kind", "visibility", "author_user_id", "author_contact_id", "subject",
    "body_text", "body_html", "created_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "ticket_id", "kind", "actor_user_id", "actor_contact_id", "from_state", "to_state",
    "changes", "article_id", "created_at",
)  # fmt: skip
MAIL_COLUMNS = (
    "id", "ticket_id", "article_id", "kind", "message_id", "from_email", "to", "subject",
    "body_text", "body_html", "headers", "delivery_state", "attempts", "next_attempt_at",
    "last_error", "sent_at", "created_at",
)  # fmt: skip
LINK_COLUMNS = ("source_id", "target_id", "kind", "created_at")
AFFECTED_COLUMNS = ("ticket_id", "contact_id")

Row = tuple[Any, ...]
# ``json.dumps`` with its default arguments, minus the per-call set-up (JSONField's format).
encode_json = json.JSONEncoder().encode


def pick(rng: Random, population: Sequence[Any], cum_weights: list[float]) -> Any:
    """``rng.choices(population, cum_weights=...)[0]`` without its per-call overhead."""
    return population[bisect(cum_weights, rng.random() * cum_weights[-1])]


def sqlite_stamp(ts: float) -> str:
    """A UTC time as Django's SQLite backend stores it (naive, ISO with a space)."""
    return str(datetime.fromtimestamp(ts, UTC))[:-6]


def aware_stamp(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass
class Rows:
    """What one chunk of tickets writes, table by table, as tuples in the column order above."""

    tickets: list[Row] = field(default_factory=list)
    articles: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    mails: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)
    affected: list[Row] = field(default_factory=list)
    states: list[str] = field(default_factory=list)


class Slip:
    """The ticket being played: the fields the story changes, times as epoch seconds."""

    __slots__ = (
        "affected_persons_text",
        "channel",
        "closed_at",
        "created_at",
        "follow_up_until",
        "initial_situation",
        "measures_taken",
        "merged_into_id",
        "owner_id",
        "pk",
        "priority",
        "resolution",
        "resolved_at",
        "resolved_by_id",
        "resolved_team_id",
        "return_to_team_id",
        "return_to_user_id",
        "solution_attempts",
        "state",
        "subject",
        "team_id",
        "topic_id",
        "updated_at",
        "version",
    )  # fmt: skip

    def __init__(self, pk: int, subject: str, channel: str, team_id: int, body: str, ts: float):
        self.pk, self.subject, self.channel, self.team_id = pk, subject, channel, team_id
        self.initial_situation = body
        self.created_at = self.updated_at = ts
        self.topic_id = self.owner_id = self.merged_into_id = None
        self.return_to_user_id = self.return_to_team_id = None
        self.resolved_by_id = self.resolved_team_id = None
        self.resolved_at = self.follow_up_until = self.closed_at = None
        self.priority, self.state, self.version = str(Priority.NORMAL), str(State.NEW), 1
        self.affected_persons_text = self.solution_attempts = self.measures_taken = ""
        self.resolution = ""


class OfficeHours:
    """Agents work on weekdays from 7 to 18 o'clock local time; customers and mail any time."""

    def __init__(self, tz: ZoneInfo, rng: Random) -> None:
        self.tz, self.rng = tz, rng
        self.days: dict[int, tuple[float, float] | None] = {}

    def _window(self, day: int) -> tuple[float, float] | None:
        """Office hours of one UTC day as epoch seconds (None on weekends)."""
        if day not in self.days:
            d = date(1970, 1, 1) + timedelta(days=day)
            start = datetime.combine(d, time(7), self.tz).timestamp()
            end = datetime.combine(d, time(18), self.tz).timestamp()
            self.days[day] = (start, end) if d.weekday() < 5 else None
        return self.days[day]

    def next_open(self, ts: float) -> float:
        """``ts`` if an agent works then, else a moment in the next morning's first hours."""
        day = int(ts // DAY)
        window = self._window(day)
        if window and window[0] <= ts <= window[1]:
            return ts
        if window is None or ts > window[1]:
            day += 1
            while (window := self._window(day)) is None:
                day += 1
        return window[0] + self.rng.uniform(0, 90 * MINUTE)


@dataclass
class Ids:
    """The next free primary key of each table: rows get their ids here, not from the database."""

    ticket: int
    article: int
    event: int
    mail: int
