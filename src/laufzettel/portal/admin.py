"""Admin for portal access: who may sign in, and who sees their whole organization."""

from django.contrib import admin

from laufzettel.portal.models import PortalAccount


@admin.register(PortalAccount)
class PortalAccountAdmin(admin.ModelAdmin):
    list_display = ["contact", "organization", "is_portal_admin", "is_active", "created_at"]
    list_filter = ["is_portal_admin", "is_active"]
    search_fields = ["contact__name", "contact__emails__address", "contact__organization__name"]
    list_select_related = ["contact__organization"]
    raw_id_fields = ["contact", "user"]

    @admin.display(description="organization")
    def organization(self, account: PortalAccount) -> str:
        return str(account.contact.organization or "—")
