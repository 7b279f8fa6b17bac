"""The failed-mail list for admins: every inbound message, its error, and a re-process action."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from laufzettel.mail.models import ImapMailbox, InboundMessage, InboundStatus


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["received_at", "sender", "subject", "source", "status", "outcome", "ticket"]
    list_filter = ["status", "source", "outcome"]
    list_select_related = ["ticket"]
    search_fields = ["subject", "sender", "message_id"]
    date_hierarchy = "received_at"
    actions = ["reprocess"]
    exclude = ["raw"]
    readonly_fields = [
        "message_id",
        "sha256",
        "size",
        "source",
        "mailbox",
        "sender",
        "subject",
        "status",
        "outcome",
        "error",
        "attempts",
        "auto_replied",
        "ticket",
        "article",
        "received_at",
        "processed_at",
        "raw_text",
    ]

    @admin.display(description=_("raw message"))
    def raw_text(self, obj: InboundMessage) -> str:
        return bytes(obj.raw[:100_000]).decode("utf-8", "replace")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Nothing received is ever deleted by normal operation.
        return False

    @admin.action(description=_("Process the selected messages again"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        from laufzettel.mail.ingest import process

        ok = failed = 0
        for inbound_id in queryset.exclude(status=InboundStatus.PROCESSED).values_list(
            "pk", flat=True
        ):
            InboundMessage.objects.filter(pk=inbound_id).update(status=InboundStatus.RECEIVED)
            if process(inbound_id).status == InboundStatus.FAILED:
                failed += 1
            else:
                ok += 1
        self.message_user(
            request,
            ngettext("%d message filed.", "%d messages filed.", ok) % ok,
            messages.SUCCESS,
        )
        if failed:
            self.message_user(
                request,
                ngettext("%d message failed again.", "%d messages failed again.", failed) % failed,
                messages.ERROR,
            )


@admin.register(ImapMailbox)
class ImapMailboxAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "host", "username", "folder", "is_active", "last_polled_at"]
    readonly_fields = ["last_polled_at", "last_error"]
