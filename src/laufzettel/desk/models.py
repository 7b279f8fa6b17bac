"""Desk bookkeeping: text modules, who is on which ticket, failed logins, admins' TOTP secrets.

None of these is ticket state: they never go through the life cycle and never write events.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from laufzettel.tickets.models import Ticket


class TextModule(models.Model):
    """A saved reply; ``{contact_name}``, ``{ticket_number}`` … are filled in when inserted."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {contact_name}, {ticket_number}, {ticket_subject}, {agent_name}, "
            "{organization}."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("text module")
        verbose_name_plural = _("text modules")

    def __str__(self) -> str:
        return self.name


class TicketPresence(models.Model):
    """The last sign of life of an agent's open ticket page, so colleagues see they are there."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="one_presence_per_agent")
        ]
        indexes = [models.Index(fields=["ticket", "seen_at"], name="presence_recent")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.ticket_id}"


class LoginFailure(models.Model):
    """One failed login, counted per user name and per client address for the rate limit."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"


class AgentTOTP(models.Model):
    """An agent's second factor (time-based one-time password); active once confirmed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp"
    )
    secret = models.CharField(max_length=64)
    confirmed = models.BooleanField(default=False)
    # The last accepted time step: a code is accepted once, never replayed.
    last_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.user_id)
