from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from laufzettel.tickets.models import Article, Ticket


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RETRYING = "retrying", _("retrying")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


PENDING_STATES = (DeliveryState.QUEUED, DeliveryState.RETRYING)


class MailKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("acknowledgement of receipt")
    CLARIFICATION = "clarification", _("clarification question")
    RESOLUTION = "resolution", _("resolution confirmation")
    REPLY = "reply", _("reply")
    VENDOR_HANDOVER = "vendor_handover", _("handover to vendor")
    # Sent by the SLA timers (laufzettel.sla).
    STATUS_UPDATE = "status_update", _("status update")
    CLARIFICATION_REMINDER = "reminder", _("clarification reminder")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach")
    # Sent by the customer portal.
    PORTAL_LOGIN = "portal_login", _("portal sign-in link")


class OutboundEmailQuerySet(models.QuerySet["OutboundEmail"]):
    def due(self, now: datetime) -> "OutboundEmailQuerySet":
        return self.filter(delivery_state__in=PENDING_STATES, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "pk"
        )


class OutboundEmail(models.Model):
    """One message to send, written in the same transaction as the change that caused it."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="outbound_emails"
    )
    article = models.OneToOneField(
        Article, on_delete=models.PROTECT, null=True, blank=True, related_name="delivery"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MailKind.choices)
    # Stable across retries, so a receiver can recognise a message it already has.
    message_id = models.CharField(max_length=250, unique=True)
    from_email = models.CharField(max_length=250)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=500)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)

    delivery_state = models.CharField(
        _("delivery state"),
        max_length=10,
        choices=DeliveryState.choices,
        default=DeliveryState.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(_("last SMTP answer"), blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_due",
                condition=models.Q(delivery_state__in=["queued", "retrying"]),
            ),
            models.Index(fields=["ticket", "created_at"], name="outbox_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.delivery_state})"
