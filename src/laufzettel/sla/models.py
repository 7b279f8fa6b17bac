from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from laufzettel.accounts.models import Level, Organization, Team
from laufzettel.sla.business_time import Schedule
from laufzettel.tickets.models import Priority, Ticket, Topic


class GermanState(models.TextChoices):
    """Subdivisions of the ``holidays`` package for Germany."""

    NATIONWIDE = "", _("nationwide holidays only")
    BW = "BW", "Baden-Württemberg"
    BY = "BY", "Bayern"
    BE = "BE", "Berlin"
    BB = "BB", "Brandenburg"
    HB = "HB", "Bremen"
    HH = "HH", "Hamburg"
    HE = "HE", "Hessen"
    MV = "MV", "Mecklenburg-Vorpommern"
    NI = "NI", "Niedersachsen"
    NW = "NW", "Nordrhein-Westfalen"
    RP = "RP", "Rheinland-Pfalz"
    SL = "SL", "Saarland"
    SN = "SN", "Sachsen"
    ST = "ST", "Sachsen-Anhalt"
    SH = "SH", "Schleswig-Holstein"
    TH = "TH", "Thüringen"


def default_schedule() -> Schedule:
    """The calendar of tickets without a policy: Monday to Friday, 08:00-17:00, local holidays."""
    return Schedule(
        time_zone=settings.TIME_ZONE,
        subdivision=settings.LAUFZETTEL_SLA_HOLIDAY_STATE,
        name=str(_("default business hours")),
    )


class Calendar(models.Model):
    """Business hours: working days and hours in one time zone, minus holidays and closing days."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Europe/Berlin")
    holiday_state = models.CharField(
        _("public holidays of"),
        max_length=2,
        choices=GermanState.choices,
        blank=True,
        default="",
    )
    # ISO weekdays, 1 = Monday ... 7 = Sunday.
    work_days = models.CharField(_("working days"), max_length=7, default="12345")
    opens_at = models.TimeField(_("opens at"), default="08:00")
    closes_at = models.TimeField(_("closes at"), default="17:00")
    always_open = models.BooleanField(
        _("24/7"), default=False, help_text=_("Every hour counts, also on holidays.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("business-hours calendar")
        verbose_name_plural = _("business-hours calendars")

    def __str__(self) -> str:
        return self.name

    def schedule(self, closing_days: frozenset[date] | None = None) -> Schedule:
        """The pure schedule; pass ``closing_days`` when already fetched (else one query)."""
        if closing_days is None:
            closing_days = frozenset(self.closing_days.values_list("day", flat=True))
        return Schedule(
            time_zone=self.time_zone,
            work_days=frozenset(int(d) for d in self.work_days if d.isdigit()),
            opens_at=self.opens_at,
            closes_at=self.closes_at,
            subdivision=self.holiday_state,
            closing_days=closing_days,
            always_open=self.always_open,
            name=self.name,
        )


class ClosingDay(models.Model):
    """A day the support is closed beyond public holidays (company outing, 24 and 31 December)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="closing_days")
    day = models.DateField(_("day"))
    name = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "day"], name="unique_closing_day")
        ]
        verbose_name = _("closing day")
        verbose_name_plural = _("closing days")

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class SlaPolicy(models.Model):
    """Promised times for tickets of an organization (contract), topic and priority.

    Blank criteria match everything; the most specific active policy wins (organization counts
    more than topic, topic more than priority).
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, null=True, blank=True
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, blank=True, default=""
    )
    calendar = models.ForeignKey(Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT)
    first_response_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"), null=True, blank=True
    )
    update_interval_minutes = models.PositiveIntegerField(
        _("status update interval (business minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (business minutes)"), null=True, blank=True
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (% of the time)"),
        null=True,
        blank=True,
        help_text=_("Empty: the default share (LAUFZETTEL_SLA_WARN_PERCENT)."),
    )
    auto_escalate = models.BooleanField(_("escalate automatically on breach"), default=False)
    escalate_to = models.ForeignKey(
        Team,
        verbose_name=_("escalate to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the topic's specialist team (from first level)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    def specificity(self) -> int:
        return (
            4 * (self.organization_id is not None)
            + 2 * (self.topic_id is not None)
            + (self.priority != "")
        )

    def matches(self, ticket: Ticket) -> bool:
        return (
            (self.organization_id is None or self.organization_id == ticket.organization_id)
            and (self.topic_id is None or self.topic_id == ticket.topic_id)
            and (self.priority == "" or self.priority == ticket.priority)
        )

    def warn_share(self) -> int:
        return self.warn_percent or settings.LAUFZETTEL_SLA_WARN_PERCENT


class LevelTarget(models.Model):
    """An internal target (OLA) for the time a ticket may spend at one level."""

    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, unique=True)
    minutes = models.PositiveIntegerField(_("target (business minutes)"))
    warn_percent = models.PositiveSmallIntegerField(_("warn at (% of the time)"), null=True)

    class Meta:
        ordering = ["level"]
        verbose_name = _("level target (OLA)")
        verbose_name_plural = _("level targets (OLA)")

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.minutes} min"


class TicketSla(models.Model):
    """A ticket's time keeping: its policy, its timer generation, status updates, reminders."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True)
    # Raised whenever the timers are planned anew: a timer of an older generation is stale.
    generation = models.PositiveIntegerField(default=0)
    status_updates_paused = models.BooleanField(_("status updates paused"), default=False)
    # The status-update interval counts from here: creation, agent reply, last status mail.
    status_anchor = models.DateTimeField(null=True, blank=True)
    status_updates_sent = models.PositiveIntegerField(default=0)
    asked_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket SLA state")
        verbose_name_plural = _("ticket SLA states")

    def __str__(self) -> str:
        return f"SLA {self.ticket_id}"


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("first response")
    RESOLUTION = "resolution", _("resolution")
    LEVEL = "level", _("level target (OLA)")


class ClockStatus(models.TextChoices):
    RUNNING = "running", _("running")
    PAUSED = "paused", _("paused")
    STOPPED = "stopped", _("stopped")


class TicketClock(models.Model):
    """One clock of a ticket: business time spent against a target, pausable."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    kind = models.CharField(_("clock"), max_length=20, choices=ClockKind.choices)
    status = models.CharField(max_length=10, choices=ClockStatus.choices)
    target_seconds = models.PositiveIntegerField()
    warn_percent = models.PositiveSmallIntegerField(default=80)
    # Business seconds counted before ``running_since`` (earlier running periods).
    spent_seconds = models.PositiveIntegerField(default=0)
    running_since = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="unique_ticket_clock")
        ]
        indexes = [
            # Breached clocks for lists and reports.
            models.Index(
                fields=["breached_at"],
                name="sla_clock_breached",
                condition=models.Q(breached_at__isnull=False),
            )
        ]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ticket_id}"

    @property
    def target(self) -> timedelta:
        return timedelta(seconds=self.target_seconds)

    @property
    def met(self) -> bool:
        return self.status == ClockStatus.STOPPED and self.breached_at is None


class TimerKind(models.TextChoices):
    WARNING = "warning", _("warning")
    BREACH = "breach", _("breach")
    STATUS_UPDATE = "status_update", _("status update")
    REMINDER = "reminder", _("clarification reminder")
    CLARIFICATION_EXPIRED = "clarification_expired", _("clarification expired")


class TimerQuerySet(models.QuerySet["Timer"]):
    def due(self, now: datetime) -> "TimerQuerySet":
        """Served by the partial index ``sla_timer_due``: only unfired, due rows are read."""
        return self.filter(fired_at__isnull=True, due_at__lte=now).order_by("due_at")


class Timer(models.Model):
    """A due timestamp the worker fires once; stale (older generation) timers do nothing."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_timers")
    kind = models.CharField(max_length=25, choices=TimerKind.choices)
    # Which clock a warning or breach is for.
    clock = models.CharField(max_length=20, choices=ClockKind.choices, blank=True)
    due_at = models.DateTimeField()
    generation = models.PositiveIntegerField()
    fired_at = models.DateTimeField(null=True, blank=True)

    objects = TimerQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"], name="sla_timer_due", condition=models.Q(fired_at__isnull=True)
            ),
            models.Index(fields=["ticket"], name="sla_timer_ticket"),
        ]
        verbose_name = _("timer")
        verbose_name_plural = _("timers")

    def __str__(self) -> str:
        return f"{self.kind} {self.ticket_id} @ {self.due_at:%Y-%m-%d %H:%M}"


class LedgerAction(models.TextChoices):
    STARTED = "started", _("started")
    PAUSED = "paused", _("paused")
    RESUMED = "resumed", _("resumed")
    RECOMPUTED = "recomputed", _("recomputed")
    MET = "met", _("met")
    STOPPED = "stopped", _("stopped")
    WARNED = "warned", _("warning")
    BREACHED = "breached", _("breached")
    ESCALATED = "escalated", _("escalated automatically")
    STATUS_UPDATE = "status_update", _("status update sent")
    STATUS_UPDATES_PAUSED = "status_paused", _("status updates paused")
    STATUS_UPDATES_RESUMED = "status_resumed", _("status updates resumed")
    REMINDED = "reminded", _("clarification reminded")
    AUTO_RESOLVED = "auto_resolved", _("resolved for lack of an answer")
    CLARIFICATION_EXPIRED = "clar_expired", _("clarification unanswered")


class SlaLedgerEntry(models.Model):
    """Append-only: why a clock or deadline is what it is."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_ledger")
    clock = models.CharField(_("clock"), max_length=20, choices=ClockKind.choices, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=LedgerAction.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    calendar = models.CharField(_("calendar"), max_length=100, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["ticket", "at"], name="sla_ledger_ticket")]
        verbose_name = _("SLA ledger entry")
        verbose_name_plural = _("SLA ledger entries")

    def __str__(self) -> str:
        return f"{self.clock} {self.action} @ {self.at:%Y-%m-%d %H:%M}"


class LevelStay(models.Model):
    """A ticket's stay at one team: for the routing slip and the reports."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="level_stays")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # Business seconds of the whole stay, set when it ends.
    business_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        indexes = [models.Index(fields=["ticket", "started_at"], name="sla_stay_ticket")]
        verbose_name = _("level stay")
        verbose_name_plural = _("level stays")

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.team_id}"
