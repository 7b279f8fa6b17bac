"""Admin for configuration data: customers and their contacts, teams, agents."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from laufzettel.accounts.models import (
    AgentProfile,
    Contact,
    ContactEmail,
    ContactPhone,
    Organization,
    Team,
)
from laufzettel.lib.phone import looks_like_phone, normalize_phone


class ContactPhoneForm(forms.ModelForm):
    """Numbers are stored in E.164 whatever the admin types, so callers are found by them."""

    class Meta:
        model = ContactPhone
        fields = ["number", "label"]

    def clean_number(self) -> str:
        e164 = normalize_phone(self.cleaned_data["number"])
        if e164 is None:
            raise forms.ValidationError(_("This is not a valid phone number."))
        return e164


class ContactEmailInline(admin.TabularInline):
    model = ContactEmail
    extra = 1


class ContactPhoneInline(admin.TabularInline):
    model = ContactPhone
    form = ContactPhoneForm
    extra = 1


class ContactInline(admin.TabularInline):
    """The organization's people; their addresses and numbers are edited on the contact."""

    model = Contact
    fields = ["name", "position", "language", "addresses", "numbers"]
    readonly_fields = ["addresses", "numbers"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contact]:
        return super().get_queryset(request).prefetch_related("emails", "phones")

    @admin.display(description=_("email addresses"))
    def addresses(self, contact: Contact) -> str:
        return ", ".join(e.address for e in contact.emails.all())

    @admin.display(description=_("phone numbers"))
    def numbers(self, contact: Contact) -> str:
        return ", ".join(p.number for p in contact.phones.all())


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "customer_number", "email_domains", "contact_count"]
    search_fields = ["name", "customer_number", "email_domains"]
    inlines = [ContactInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return super().get_queryset(request).annotate(contact_count=Count("contacts"))

    @admin.display(description=_("contacts"), ordering="contact_count")
    def contact_count(self, organization: Any) -> int:
        return int(organization.contact_count)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "position", "language", "primary_address"]
    list_filter = ["language"]
    list_select_related = ["organization"]
    search_fields = ["name", "organization__name", "emails__address", "phones__number"]
    autocomplete_fields = ["organization"]
    inlines = [ContactEmailInline, ContactPhoneInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contact]:
        return super().get_queryset(request).prefetch_related("emails")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Contact], search_term: str
    ) -> tuple[QuerySet[Contact], bool]:
        # A number typed in any format finds its stored E.164 form.
        e164 = normalize_phone(search_term) if looks_like_phone(search_term) else None
        if e164:
            return queryset.filter(phones__number=e164).distinct(), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("email address"))
    def primary_address(self, contact: Contact) -> str:
        return contact.primary_email


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "public_name", "is_intake", "is_vendor", "vendor_email"]
    list_filter = ["level", "is_vendor"]
    search_fields = ["name", "public_name"]
    filter_horizontal = ["members"]
    autocomplete_fields = ["lead"]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "full_name", "language", "phone_extension", "team_names"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgentProfile]:
        return super().get_queryset(request).prefetch_related("user__teams")

    @admin.display(description=_("name"))
    def full_name(self, profile: AgentProfile) -> str:
        return profile.user.get_full_name()

    @admin.display(description=_("teams"))
    def team_names(self, profile: AgentProfile) -> str:
        return ", ".join(team.name for team in profile.user.teams.all())


class AgentProfileInline(admin.StackedInline):
    """Makes the user an agent: shown on the user page, where agents are created."""

    model = AgentProfile
    can_delete = True
    extra = 0
    max_num = 1
    verbose_name_plural = _("agent profile")


class TeamMembershipInline(admin.TabularInline):
    model = Team.members.through
    extra = 0
    verbose_name = _("team membership")
    verbose_name_plural = _("team memberships")


class AgentUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, AgentProfileInline, TeamMembershipInline]


admin.site.unregister(User)
admin.site.register(User, AgentUserAdmin)
