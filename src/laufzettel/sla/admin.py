from django.contrib import admin

from laufzettel.sla.models import (
    Calendar,
    ClosingDay,
    LevelTarget,
    SlaLedgerEntry,
    SlaPolicy,
    TicketClock,
)


class ClosingDayInline(admin.TabularInline):
    model = ClosingDay
    extra = 1


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "holiday_state", "work_days", "opens_at", "closes_at"]
    list_filter = ["always_open", "holiday_state"]
    inlines = [ClosingDayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organization",
        "topic",
        "priority",
        "calendar",
        "first_response_minutes",
        "update_interval_minutes",
        "resolution_minutes",
        "auto_escalate",
        "is_active",
    ]
    list_filter = ["is_active", "priority", "calendar"]
    list_select_related = ["organization", "topic", "calendar"]
    autocomplete_fields = ["organization"]


@admin.register(LevelTarget)
class LevelTargetAdmin(admin.ModelAdmin):
    list_display = ["level", "minutes", "warn_percent"]


@admin.register(TicketClock)
class TicketClockAdmin(admin.ModelAdmin):
    """Read-only: clocks change only with their tickets."""

    list_display = ["ticket", "kind", "status", "deadline", "warned_at", "breached_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["ticket"]

    def has_add_permission(self, request: object) -> bool:  # type: ignore[override]
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:  # type: ignore[override]
        return False


@admin.register(SlaLedgerEntry)
class SlaLedgerAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only."""

    list_display = ["ticket", "clock", "action", "reason", "calendar", "deadline", "at"]
    list_filter = ["clock", "action"]
    list_select_related = ["ticket"]

    def has_add_permission(self, request: object) -> bool:  # type: ignore[override]
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:  # type: ignore[override]
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:  # type: ignore[override]
        return False
