from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from laufzettel.lib.phone import normalize_phone


class Language(models.TextChoices):
    GERMAN = "de", "Deutsch"
    ENGLISH = "en", "English"


class Organization(models.Model):
    """A customer company."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    customer_number = models.CharField(_("customer number"), max_length=50, blank=True)
    email_domains = models.CharField(
        _("email domains"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated; senders from these domains belong to this organization."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class ContactQuerySet(models.QuerySet["Contact"]):
    def with_phone(self, e164: str) -> "ContactQuerySet":
        return self.filter(phones__number=e164).distinct()

    def with_email(self, address: str) -> "ContactQuerySet":
        return self.filter(emails__address=address.strip().lower()).distinct()


class Contact(models.Model):
    """A person at a customer (or an unknown sender, until someone files them)."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.GERMAN
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "name"])]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name

    @property
    def primary_email(self) -> str:
        """First address, using the prefetch cache when present."""
        emails = list(self.emails.all())
        primary = [e for e in emails if e.is_primary] or emails
        return primary[0].address if primary else ""


class ContactEmail(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    # Stored lower-cased: mail addresses are matched case-insensitively in practice.
    address = models.EmailField(_("email address"), unique=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("email address")
        verbose_name_plural = _("email addresses")

    def __str__(self) -> str:
        return self.address

    def save(self, *args: object, **kwargs: object) -> None:
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ContactPhone(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone number (E.164)"), max_length=20, db_index=True)
    label = models.CharField(_("label"), max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "number"], name="unique_contact_phone")
        ]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")

    def __str__(self) -> str:
        return self.number

    def save(self, *args: object, **kwargs: object) -> None:
        # Stored as E.164 so "089 1234567" and "+49 (89) 123 45 67" are found as one caller.
        self.number = normalize_phone(self.number) or self.number.strip()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        if normalize_phone(self.number) is None:
            raise ValidationError({"number": _("This is not a valid phone number.")})


class Level(models.IntegerChoices):
    FIRST = 1, _("1st level")
    SECOND = 2, _("2nd level")
    THIRD = 3, _("3rd level")


class TeamQuerySet(models.QuerySet["Team"]):
    def intake(self) -> "Team | None":
        """The team new tickets start at: the marked intake team, else the first level-1 team."""
        return self.filter(is_intake=True).first() or self.filter(level=Level.FIRST).first()


class Team(models.Model):
    """A support team at one level; vendor teams are external experts reached by email."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    # How the customer is told where the ticket is, e.g. "bei der Fachabteilung Telefonie".
    public_name = models.CharField(_("name shown to customers"), max_length=200, blank=True)
    is_intake = models.BooleanField(_("receives new tickets"), default=False)
    is_vendor = models.BooleanField(_("external vendor"), default=False)
    vendor_email = models.EmailField(_("vendor email address"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="teams", blank=True
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["level", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_vendor=False) | models.Q(level=3),
                name="vendor_team_is_third_level",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_level_display()})"


class AgentProfile(models.Model):
    """Marks a Django user as a support agent and keeps their preferences."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.GERMAN
    )
    phone_extension = models.CharField(_("phone extension"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return str(self.user)
