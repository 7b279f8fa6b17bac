from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from laufzettel.accounts.models import Contact, Organization, Team

# Ticket numbers are the primary key shifted, so they are short, unique and never reassigned.
NUMBER_OFFSET = 10000


class Topic(models.Model):
    """What a request is about (Telefonie, Rechenzentrum, Managed IT Service): data, not code."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    # The specialist department that takes this topic at second level.
    department = models.ForeignKey(
        Team,
        verbose_name=_("specialist team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="topics",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name


class State(models.TextChoices):
    NEW = "new", _("new")
    OPEN = "open", _("open")
    WAITING_FOR_CUSTOMER = "waiting_for_customer", _("waiting for customer")
    WAITING_FOR_VENDOR = "waiting_for_vendor", _("waiting for vendor")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    MERGED = "merged", _("merged")


OPEN_STATES = (State.NEW, State.OPEN, State.WAITING_FOR_CUSTOMER, State.WAITING_FOR_VENDOR)


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("email")
    PORTAL = "portal", _("portal")
    API = "api", _("API")


class TicketQuerySet(models.QuerySet["Ticket"]):
    def by_number(self, number: str | int) -> "TicketQuerySet":
        try:
            pk = int(str(number).strip().lstrip("#")) - NUMBER_OFFSET
        except ValueError:
            return self.none()
        return self.filter(pk=pk)

    def open(self) -> "TicketQuerySet":
        return self.filter(state__in=OPEN_STATES)

    def due_for_closing(self, now: datetime) -> "TicketQuerySet":
        return self.filter(state=State.RESOLVED, follow_up_until__lte=now)

    def for_timeline(self) -> "TicketQuerySet":
        return self.select_related("contact", "organization", "topic", "team", "owner")


class Ticket(models.Model):
    """The routing slip: where a request is, who has it, and everything known about it."""

    subject = models.CharField(_("subject"), max_length=250)
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.PROTECT, related_name="tickets"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    topic = models.ForeignKey(
        Topic,
        verbose_name=_("topic"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="tickets"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_tickets",
    )
    state = models.CharField(_("state"), max_length=25, choices=State.choices, default=State.NEW)

    # The four documentation fields of the routing slip.
    initial_situation = models.TextField(_("initial situation"), blank=True)
    affected_contacts = models.ManyToManyField(
        Contact, verbose_name=_("affected persons"), related_name="affected_by", blank=True
    )
    affected_persons_text = models.TextField(_("affected persons (free text)"), blank=True)
    solution_attempts = models.TextField(_("solution attempts"), blank=True)
    measures_taken = models.TextField(_("measures taken"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    # Who gets the ticket back when a wait ends: the agent who asked the customer, or the team
    # that escalated to a vendor.
    return_to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    return_to_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who resolved it: a reopening customer reply goes back to them.
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    follow_up_until = models.DateTimeField(_("follow-up possible until"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_tickets"
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Raised by every change: a form sent with an older version is refused, not applied.
    version = models.PositiveIntegerField(default=1)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["team", "state", "-updated_at"], name="ticket_team_queue"),
            models.Index(fields=["owner", "state", "-updated_at"], name="ticket_owner_queue"),
            models.Index(fields=["organization", "state", "-updated_at"], name="ticket_org_list"),
            models.Index(fields=["contact", "state"], name="ticket_contact"),
            models.Index(fields=["state", "-updated_at"], name="ticket_state_list"),
            # Timer: resolved tickets whose follow-up window has passed are closed.
            models.Index(
                fields=["follow_up_until"],
                name="ticket_close_due",
                condition=models.Q(state="resolved"),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("desk:ticket", args=[self.number])

    @property
    def number(self) -> str:
        return str(NUMBER_OFFSET + self.pk) if self.pk else ""

    @property
    def level(self) -> int:
        return self.team.level

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ArticleKind(models.TextChoices):
    PHONE = "phone", _("phone note")
    PORTAL = "portal", _("portal message")
    NOTE = "note", _("internal note")
    HANDOVER = "handover", _("handover")
    EMAIL_IN = "email_in", _("incoming email")
    EMAIL_OUT = "email_out", _("outgoing email")
    API = "api", _("API message")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public")
    INTERNAL = "internal", _("internal")


class Article(models.Model):
    """One entry of a ticket's timeline."""

    # No separate index: "article_timeline" (ticket, created_at) serves lookups by ticket.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="articles", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ArticleKind.choices)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML (sanitised)"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="article_timeline")]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.article.ticket_id}/{instance.article_id}/{filename}"


class Attachment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=500)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return self.name


class EventKind(models.TextChoices):
    CREATED = "created", _("created")
    QUALIFIED = "qualified", _("qualified")
    UPDATED = "updated", _("details changed")
    ASSIGNED = "assigned", _("assigned")
    ESCALATED = "escalated", _("escalated")
    HANDED_BACK = "handed_back", _("handed back")
    ASKED = "asked", _("customer asked")
    CUSTOMER_REPLIED = "customer_replied", _("customer replied")
    WAITING_FOR_VENDOR = "waiting_for_vendor", _("waiting for vendor")
    VENDOR_REPLIED = "vendor_replied", _("vendor replied")
    REPLIED = "replied", _("replied to customer")
    NOTE_ADDED = "note_added", _("note added")
    RESOLVED = "resolved", _("resolved")
    REOPENED = "reopened", _("reopened")
    CLOSED = "closed", _("closed")
    MERGED = "merged", _("merged")
    LINKED = "linked", _("linked")
    FOLLOW_UP_CREATED = "follow_up_created", _("follow-up ticket created")


class Event(models.Model):
    """Append-only audit record of one change to a ticket."""

    # No separate index: "event_log" (ticket, created_at) serves lookups by ticket.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=25, choices=EventKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_state = models.CharField(max_length=25, blank=True)
    to_state = models.CharField(max_length=25, blank=True)
    # Field changes as {"field": [before, after]} plus kind-specific details (team names, ...).
    changes = models.JSONField(default=dict, blank=True)
    article = models.ForeignKey(
        Article, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_log")]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("Events are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Events are append-only.")


class LinkKind(models.TextChoices):
    RELATED = "related", _("related")
    FOLLOW_UP = "follow_up", _("follow-up of")
    DUPLICATE = "duplicate", _("duplicate of")


class TicketLink(models.Model):
    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=12, choices=LinkKind.choices, default=LinkKind.RELATED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="unique_ticket_link"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="no_self_link"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id} ({self.kind})"
