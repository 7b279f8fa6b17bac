"""Admin for topics, and a read-only view of tickets, articles and the event log.

Tickets change only through the life cycle (which writes the event and the mails), so the admin
shows them but edits nothing: the desk is where tickets are worked on. Events are append-only
and can never be deleted, not even in bulk.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from laufzettel.tickets.models import Article, Attachment, Event, Ticket, TicketLink, Topic

ARTICLE_FIELDS = ("created_at", "kind", "visibility", "author_user", "author_contact", "subject")
EVENT_FIELDS = ("created_at", "kind", "actor_user", "actor_contact", "from_state", "to_state")


class ReadOnlyMixin:
    """View permission only: no add, change or delete, in lists, forms and bulk actions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["department"]
    search_fields = ["name"]


class ArticleInline(ReadOnlyMixin, admin.StackedInline):
    model = Article
    fields = readonly_fields = ARTICLE_FIELDS
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return super().get_queryset(request).select_related("author_user", "author_contact")


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = Event
    fields = readonly_fields = EVENT_FIELDS
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).select_related("actor_user", "actor_contact")


class LinkInline(ReadOnlyMixin, admin.TabularInline):
    model = TicketLink
    fk_name = "source"
    fields = readonly_fields = ("kind", "target", "created_at")
    extra = 0


@admin.register(Ticket)
class TicketAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "number_display",
        "subject",
        "organization",
        "topic",
        "state",
        "priority",
        "team",
        "owner",
        "updated_at",
    ]
    list_filter = ["state", "priority", "channel", "team", "topic"]
    list_select_related = ["organization", "topic", "team", "owner"]
    search_fields = ["subject", "contact__name", "organization__name"]
    date_hierarchy = "created_at"
    inlines = [LinkInline, ArticleInline, EventInline]
    # "View on site" opens the ticket in the desk (Ticket.get_absolute_url).
    readonly_fields = ["number_display"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
    ) -> tuple[QuerySet[Ticket], bool]:
        by_number = Ticket.objects.by_number(search_term) if search_term.strip() else None
        if by_number is not None and by_number.exists():
            return queryset & by_number, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("number"), ordering="pk")
    def number_display(self, ticket: Ticket) -> str:
        return ticket.number


class AttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Attachment
    fields = readonly_fields = ("name", "content_type", "size", "file")
    extra = 0


@admin.register(Article)
class ArticleAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "ticket", "kind", "visibility", "author_user", "created_at"]
    list_filter = ["kind", "visibility"]
    list_select_related = ["ticket", "author_user"]
    search_fields = ["subject", "body_text"]
    inlines = [AttachmentInline]


@admin.register(Event)
class EventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "ticket", "kind", "actor_user", "from_state", "to_state"]
    list_filter = ["kind"]
    list_select_related = ["ticket", "actor_user"]
    date_hierarchy = "created_at"

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # No bulk delete: a queryset delete would bypass Event.delete's append-only guard.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
