"""A ticket's timeline: its articles and events in time order, read with a fixed number of queries.

An event that came with an article (an escalation with its handover, a question with its mail)
is shown as one entry, so each thing that happened appears once; articles no event points to
(the automatic acknowledgement mail, for one) stand on their own.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from laufzettel.accounts.models import Team
from laufzettel.outbox.models import OutboundEmail
from laufzettel.tickets.models import Article, Event, State, Ticket

# Detail keys of events that are not ticket fields, with the label to show them under.
DETAIL_LABELS = {
    "level": _("level"),
    "channel": _("channel"),
    "affected_contacts": _("affected persons"),
    "follow_up": _("follow-up ticket"),
    "into": _("merged into"),
    "target": _("linked ticket"),
    "kind": _("link kind"),
}


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None  # None: not a before/after pair, just a value
    after: str


@dataclass
class Entry:
    at: datetime
    event: Event | None = None
    article: Article | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def delivery(self) -> OutboundEmail | None:
        # select_related caches a missing reverse one-to-one as None.
        return getattr(self.article, "delivery", None) if self.article else None

    @property
    def from_state(self) -> str:
        return _state_label(self.event.from_state) if self.event else ""

    @property
    def to_state(self) -> str:
        return _state_label(self.event.to_state) if self.event else ""


def _state_label(value: str) -> str:
    return str(State(value).label) if value in State.values else value


def _label(key: str) -> str:
    if key in DETAIL_LABELS:
        return str(DETAIL_LABELS[key])
    try:
        field = Ticket._meta.get_field(key)
    except FieldDoesNotExist:
        return key
    return str(getattr(field, "verbose_name", key))


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    try:
        field = Ticket._meta.get_field(key)
    except FieldDoesNotExist:
        return str(value)
    choices = dict(getattr(field, "flatchoices", None) or [])
    return str(choices.get(value, value))


def describe_changes(event: Event) -> list[Change]:
    changes = []
    for key, value in (event.changes or {}).items():
        is_pair = isinstance(value, list) and len(value) == 2 and key != "affected_contacts"
        if is_pair:
            changes.append(Change(_label(key), _value(key, value[0]), _value(key, value[1])))
        else:
            changes.append(Change(_label(key), None, _value(key, value)))
    return changes


def build_timeline(ticket: Ticket) -> list[Entry]:
    """Three queries (articles, their attachments, events), whatever the timeline's length."""
    articles = list(
        ticket.articles.select_related("author_user", "author_contact", "delivery")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    events = list(
        ticket.events.select_related("actor_user", "actor_contact").order_by("created_at", "pk")
    )
    by_pk = {article.pk: article for article in articles}
    shown: set[int] = set()
    entries = []
    for event in events:
        article = None
        if event.article_id is not None and event.article_id not in shown:
            article = by_pk.get(event.article_id)
        if article is not None:
            shown.add(article.pk)
        entries.append(
            Entry(
                at=event.created_at, event=event, article=article, changes=describe_changes(event)
            )
        )
    entries += [Entry(at=a.created_at, article=a) for a in articles if a.pk not in shown]
    # Stable sort: within one timestamp events keep their order and come after lone articles.
    entries.sort(key=lambda entry: (entry.at, entry.event is not None))
    return entries


@dataclass(frozen=True)
class Stop:
    """One stay of the ticket at a team: the routing slip's path through the levels."""

    team: str
    level: int | None
    since: datetime
    until: datetime | None  # None: it is still there
    span: timedelta = timedelta(0)


def ticket_path(ticket: Ticket, entries: list[Entry], now: datetime) -> list[Stop]:
    """Where the ticket went, read from the events already loaded for the timeline.

    Every team change is an event with ``team`` in its changes (the creation names the first
    team), so the path needs no query but one for the teams' levels (a handful of rows).
    """
    levels = dict(Team.objects.values_list("name", "level"))
    stops: list[Stop] = []
    for entry in entries:
        event = entry.event
        if event is None or "team" not in (event.changes or {}):
            continue
        value = event.changes["team"]
        team = value[1] if isinstance(value, list) and len(value) == 2 else value
        if not isinstance(team, str) or (stops and stops[-1].team == team):
            continue
        if stops:
            last = stops[-1]
            stops[-1] = Stop(last.team, last.level, last.since, event.created_at)
        stops.append(Stop(team, levels.get(team), event.created_at, None))
    if not stops:
        stops.append(Stop(ticket.team.name, ticket.team.level, ticket.created_at, None))
    if not ticket.is_open and stops[-1].until is None:
        end = ticket.closed_at or ticket.resolved_at or ticket.updated_at
        last = stops[-1]
        stops[-1] = Stop(last.team, last.level, last.since, end)
    return [Stop(s.team, s.level, s.since, s.until, (s.until or now) - s.since) for s in stops]


def describe_duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": max(minutes, 0)}
    hours = minutes // 60
    if hours < 48:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes % 60}
    return _("%(d)d days %(h)d h") % {"d": hours // 24, "h": hours % 24}
