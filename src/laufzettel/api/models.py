from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from laufzettel.accounts.models import Contact
from laufzettel.tickets.models import Event, Ticket


class TokenKind(models.TextChoices):
    PERSONAL = "personal", _("personal access token")
    INTEGRATION = "integration", _("integration token")
    CUSTOMER = "customer", _("customer token")


class Scope(models.TextChoices):
    """Ordered: each scope includes the ones before it."""

    READ = "read", _("read")
    WRITE = "write", _("write")
    ADMIN = "admin", _("admin")


SCOPE_RANK = {Scope.READ: 1, Scope.WRITE: 2, Scope.ADMIN: 3}


class ApiToken(models.Model):
    """A bearer token: only its SHA-256 is stored; the secret is shown once, at creation.

    Personal and integration tokens act as their ``user`` (integration tokens as a service user
    of their own, so the event log names the integration). Customer tokens act as their
    ``contact`` and see only the tickets of the contact's organization.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=TokenKind.choices)
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=5, choices=Scope.choices, default=Scope.READ)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("acts as contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
    )
    # Shown in lists so a token can be recognised without its secret.
    prefix = models.CharField(_("prefix"), max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"),
        null=True,
        blank=True,
        help_text=_("Empty: the installation's default."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="customer", contact__isnull=False, user__isnull=True)
                    | (
                        models.Q(kind__in=["personal", "integration"])
                        & models.Q(user__isnull=False, contact__isnull=True)
                    )
                ),
                name="api_token_acts_as_one",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The answer to a create request, replayed when the same key comes again."""

    # Who sent it ("token:12", "user:3"): keys of different clients never collide.
    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    # Method, path and body hash: the same key with another request is an error, not a replay.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_age")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class WebhookSubscription(models.Model):
    """Where to POST which ticket events, and the secret the payloads are signed with."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("target URL"), max_length=500)
    # Empty list: every event kind.
    event_kinds = models.JSONField(_("event kinds"), default=list, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    allow_private_network = models.BooleanField(
        _("allow private addresses"),
        default=False,
        help_text=_(
            "Allow loopback, link-local and private target addresses (only for trusted "
            "internal receivers)."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return not self.event_kinds or kind in self.event_kinds


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RETRYING = "retrying", _("retrying")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


PENDING_STATES = (DeliveryState.QUEUED, DeliveryState.RETRYING)


class WebhookDeliveryQuerySet(models.QuerySet["WebhookDelivery"]):
    def due(self, now: datetime) -> "WebhookDeliveryQuerySet":
        return self.filter(delivery_state__in=PENDING_STATES, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "pk"
        )


class WebhookDelivery(models.Model):
    """One event for one subscription: written with the change, posted by the worker."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="+")
    event_kind = models.CharField(_("event kind"), max_length=25)
    payload = models.JSONField()
    delivery_state = models.CharField(
        _("delivery state"),
        max_length=10,
        choices=DeliveryState.choices,
        default=DeliveryState.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhook_due",
                condition=models.Q(delivery_state__in=["queued", "retrying"]),
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_kind} → {self.subscription} ({self.delivery_state})"
