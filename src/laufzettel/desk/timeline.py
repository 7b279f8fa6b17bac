"""A ticket's timeline: its articles and events in time order, read with a fixed number of queries.

An event that came with an article (an escalation with its handover, a question with its mail)
is shown as one entry, so each thing that happened appears once; articles no event points to
(the automatic acknowledgement mail, for one) stand on their own.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

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
