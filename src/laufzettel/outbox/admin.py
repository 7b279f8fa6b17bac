"""Admin view of outbound mail: what was sent, what is waiting, what failed and why.

Messages are written by the life cycle and delivered by the worker, so the admin only reads them
— except for one operator action: after fixing a mail server problem, failed messages can be
queued once more.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from laufzettel.outbox.models import DeliveryState, OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "recipients",
        "kind",
        "delivery_state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["delivery_state", "kind"]
    list_select_related = ["ticket"]
    search_fields = ["subject", "message_id", "to"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]
    fields = readonly_fields = (
        "ticket",
        "article",
        "kind",
        "message_id",
        "from_email",
        "to",
        "subject",
        "body_text",
        "headers",
        "delivery_state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A message's row is its delivery record on the ticket's timeline.
        return False

    @admin.display(description=_("to"))
    def recipients(self, mail: OutboundEmail) -> str:
        return ", ".join(mail.to)

    @admin.display(description=_("last SMTP answer"))
    def short_error(self, mail: OutboundEmail) -> str:
        return mail.last_error[:80]

    @admin.action(description=_("Queue failed messages for one more attempt"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        # Only failed rows: queued and retrying ones are the worker's, sent ones stay sent.
        count = queryset.filter(delivery_state=DeliveryState.FAILED).update(
            delivery_state=DeliveryState.QUEUED, next_attempt_at=timezone.now()
        )
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
