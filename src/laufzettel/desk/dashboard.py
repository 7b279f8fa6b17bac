"""The support lead's figures, each one aggregate query, drawn as SVG bar charts on the server.

No chart library: a bar chart is a handful of ``<rect>`` elements, and server-side SVG needs no
script (the CSP allows none inline) and works without JavaScript.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from laufzettel.accounts.models import Level
from laufzettel.sla.queries import sla_compliance
from laufzettel.tickets.models import Event, EventKind, Ticket

RECENT = timedelta(days=90)
BAR_HEIGHT = 22
LABEL_WIDTH = 190
CHART_WIDTH = 560


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown next to the bar
    y: int = 0
    width: int = 0


@dataclass(frozen=True)
class Chart:
    key: str
    title: str | Promise
    bars: list[Bar]
    note: str | Promise = ""

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * (BAR_HEIGHT + 6) + 6

    @property
    def label_width(self) -> int:
        return LABEL_WIDTH

    @property
    def width(self) -> int:
        return CHART_WIDTH

    @property
    def total(self) -> float:
        return sum(bar.value for bar in self.bars)


def _chart(
    key: str, title: str | Promise, pairs: list[tuple[str, float, str]], note: str | Promise = ""
) -> Chart:
    top = max((value for _label, value, _text in pairs), default=0) or 1
    room = CHART_WIDTH - LABEL_WIDTH - 70
    bars = [
        Bar(
            label,
            value,
            text,
            y=6 + i * (BAR_HEIGHT + 6),
            width=max(1, round(room * value / top)) if value else 0,
        )
        for i, (label, value, text) in enumerate(pairs)
    ]
    return Chart(key, title, bars, note)


def _level_label(level: int | None) -> str:
    return str(Level(level).label) if level in Level.values else _("unknown")


def open_by_level() -> Chart:
    rows = (
        Ticket.objects.open().values("team__level").annotate(n=Count("pk")).order_by("team__level")
    )
    return _chart(
        "open-level",
        gettext_lazy("Open tickets by level"),
        [(_level_label(r["team__level"]), r["n"], str(r["n"])) for r in rows],
    )


def open_by_topic() -> Chart:
    rows = Ticket.objects.open().values("topic__name").annotate(n=Count("pk")).order_by("-n")[:12]
    return _chart(
        "open-topic",
        gettext_lazy("Open tickets by topic"),
        [(r["topic__name"] or _("not yet qualified"), r["n"], str(r["n"])) for r in rows],
    )


def first_level_share() -> Chart:
    since = timezone.now() - RECENT
    rows = (
        Ticket.objects.filter(resolved_at__gte=since, resolved_team__isnull=False)
        .values("resolved_team__level")
        .annotate(n=Count("pk"))
        .order_by("resolved_team__level")
    )
    total = sum(r["n"] for r in rows) or 1
    return _chart(
        "solved-level",
        gettext_lazy("Tickets solved per level (last 90 days)"),
        [
            (_level_label(r["resolved_team__level"]), r["n"], f"{100 * r['n'] / total:.0f} %")
            for r in rows
        ],
        gettext_lazy("The first bar is the share solved at first level."),
    )


def backlog_age() -> Chart:
    now = timezone.now()
    edges = [
        (gettext_lazy("under 1 day"), timedelta(0), timedelta(days=1)),
        # The dash of a range is an en dash in print (RUF001 would have a hyphen).
        (gettext_lazy("1–3 days"), timedelta(days=1), timedelta(days=3)),  # noqa: RUF001
        (gettext_lazy("3–7 days"), timedelta(days=3), timedelta(days=7)),  # noqa: RUF001
        (gettext_lazy("1–4 weeks"), timedelta(days=7), timedelta(days=28)),  # noqa: RUF001
        (gettext_lazy("over 4 weeks"), timedelta(days=28), None),
    ]
    aggregates = {}
    for i, (_label, young, old) in enumerate(edges):
        match = Q(created_at__lte=now - young)
        if old is not None:
            match &= Q(created_at__gt=now - old)
        aggregates[f"b{i}"] = Count("pk", filter=match)
    counts = Ticket.objects.open().aggregate(**aggregates)
    return _chart(
        "backlog-age",
        gettext_lazy("Age of the open tickets"),
        [
            (str(label), counts[f"b{i}"], str(counts[f"b{i}"]))
            for i, (label, _y, _o) in enumerate(edges)
        ],
    )


def time_to_escalation() -> Chart:
    """How long tickets stayed at each level before they moved up (escalations, last 90 days).

    Measured from the ticket's creation for first level and from the previous escalation for
    higher levels would need a pass over every event; the time from creation to each level's
    escalation is one aggregate and answers the lead's question "how long until it moves on".
    """
    since = timezone.now() - RECENT
    rows = (
        Event.objects.filter(kind=EventKind.ESCALATED, created_at__gte=since)
        .values("ticket__team__level")
        .annotate(avg=Avg(F("created_at") - F("ticket__created_at")))
        .order_by("ticket__team__level")
    )
    pairs = []
    for r in rows:
        span = r["avg"]
        hours = span.total_seconds() / 3600 if span else 0.0
        pairs.append((_level_label(r["ticket__team__level"]), hours, f"{hours:.1f} h"))
    return _chart(
        "time-level",
        gettext_lazy("Time from creation to escalation, by the level the ticket is at now"),
        pairs,
    )


def sla_chart() -> Chart:
    share = sla_compliance()
    if share is None:
        return _chart(
            "sla",
            gettext_lazy("SLA compliance"),
            [],
            gettext_lazy("Available when SLA tracking is set up."),
        )
    return _chart(
        "sla",
        gettext_lazy("SLA compliance"),
        [
            (_("met"), share, f"{100 * share:.0f} %"),
            (_("missed"), 1 - share, f"{100 * (1 - share):.0f} %"),
        ],
    )


def charts() -> list[Chart]:
    return [
        open_by_level(),
        open_by_topic(),
        first_level_share(),
        time_to_escalation(),
        backlog_age(),
        sla_chart(),
    ]
