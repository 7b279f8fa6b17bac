from django.db import models
from django.utils.translation import gettext_lazy as _

from laufzettel.tickets.models import Article, Ticket


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    PROCESSED = "processed", _("processed")
    # Stored and kept, but deliberately not filed (e.g. a loop of our own mail).
    IGNORED = "ignored", _("ignored")
    FAILED = "failed", _("failed")


class Source(models.TextChoices):
    PIPE = "pipe", _("MTA pipe")
    IMAP = "imap", _("IMAP")
    LMTP = "lmtp", _("LMTP")
    ADMIN = "admin", _("admin")


class Outcome(models.TextChoices):
    NEW_TICKET = "new_ticket", _("new ticket")
    CUSTOMER_REPLY = "customer_reply", _("customer reply")
    VENDOR_REPLY = "vendor_reply", _("vendor reply")
    NOTE = "note", _("note from another sender")
    BOUNCE = "bounce", _("delivery failure report")
    LOOP = "loop", _("mail loop")


class InboundMessageQuerySet(models.QuerySet["InboundMessage"]):
    def pending(self) -> "InboundMessageQuerySet":
        return self.filter(status=InboundStatus.RECEIVED).order_by("pk")

    def failed(self) -> "InboundMessageQuerySet":
        return self.filter(status=InboundStatus.FAILED)


class InboundMessage(models.Model):
    """One received message, stored raw before anything else is done with it; never deleted."""

    raw = models.BinaryField(_("raw message"))
    # Without a Message-ID header the content hash alone identifies a redelivery.
    message_id = models.CharField(_("Message-ID"), max_length=500, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    mailbox = models.CharField(_("mailbox"), max_length=200, blank=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Whether an automatic answer went out for it: the per-sender rate limit counts these.
    auto_replied = models.BooleanField(default=False)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_messages"
    )
    article = models.ForeignKey(
        Article, on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_messages"
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    objects = InboundMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        constraints = [
            models.UniqueConstraint(fields=["message_id", "sha256"], name="inbound_dedup"),
        ]
        indexes = [
            models.Index(
                fields=["id"], name="inbound_pending", condition=models.Q(status="received")
            ),
            models.Index(fields=["status", "-received_at"], name="inbound_status"),
            models.Index(fields=["sender", "received_at"], name="inbound_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.message_id or self.pk} ({self.get_status_display()})"


class ImapMailbox(models.Model):
    """An IMAP folder ``laufzettel mail fetch`` polls; messages are flagged after they are filed."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("host"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    use_ssl = models.BooleanField(_("TLS (IMAPS)"), default=True)
    username = models.CharField(_("user name"), max_length=200)
    password = models.CharField(_("password"), max_length=200)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    # Where filed messages go; empty keeps them in the folder, flagged as seen.
    move_to = models.CharField(_("move filed messages to"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("IMAP mailbox")
        verbose_name_plural = _("IMAP mailboxes")

    def __str__(self) -> str:
        return self.name
