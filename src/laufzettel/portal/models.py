"""Who may use the portal: a contact's login, and the one-time links that sign them in."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from laufzettel.accounts.models import Contact


def hash_token(token: str) -> str:
    """Only the hash is stored: a leaked database holds no usable login link."""
    return hashlib.sha256(token.encode()).hexdigest()


class PortalAccount(models.Model):
    """Links a contact to the Django user they sign in as; a portal admin sees the organization."""

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, related_name="portal_account", verbose_name=_("contact")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="portal_account",
        verbose_name=_("user"),
    )
    is_portal_admin = models.BooleanField(
        _("sees all tickets of the organization"),
        default=False,
        help_text=_("Otherwise the contact sees only the tickets they opened."),
    )
    is_active = models.BooleanField(_("may sign in"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")

    def __str__(self) -> str:
        return str(self.contact)


class LoginLink(models.Model):
    """An emailed one-time login link: stored hashed, valid once and only until it expires."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email", "created_at"], name="portal_link_rate")]

    def __str__(self) -> str:
        return f"{self.email} ({self.created_at:%Y-%m-%d %H:%M})"
