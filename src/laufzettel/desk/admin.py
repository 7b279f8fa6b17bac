"""Admin for the desk's own data: text modules, and agents' second factor (to switch it off)."""

from django.contrib import admin

from laufzettel.desk.models import AgentTOTP, TextModule


@admin.register(TextModule)
class TextModuleAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "body"]


@admin.register(AgentTOTP)
class AgentTOTPAdmin(admin.ModelAdmin):
    """Deleting a row switches the agent's second factor off (e.g. a lost phone)."""

    list_display = ["user", "confirmed"]
    fields = ["user", "confirmed"]
    readonly_fields = ["user", "confirmed"]  # the secret never shows

    def has_add_permission(self, request: object) -> bool:  # set up by the agent only
        return False
