"""Admin for API tokens (created here, secret shown once), webhook subscriptions and their
delivery log."""

import secrets
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from laufzettel.api.models import (
    SCOPE_RANK,
    ApiToken,
    DeliveryState,
    TokenKind,
    WebhookDelivery,
    WebhookSubscription,
)
from laufzettel.api.tokens import integration_user, issue_secret, max_scope_for, revoke
from laufzettel.api.webhooks import UnsafeTarget, check_subscription_target, validate_event_kinds


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["kind", "name", "scope", "user", "contact", "rate_limit"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, user, contact = data.get("kind"), data.get("user"), data.get("contact")
        if kind == TokenKind.CUSTOMER:
            if contact is None or user is not None:
                raise forms.ValidationError(_("A customer token needs a contact and no user."))
            if data.get("scope") == "admin":
                raise forms.ValidationError(_("Customer tokens can only read or write."))
        elif kind == TokenKind.PERSONAL:
            if user is None or contact is not None:
                raise forms.ValidationError(_("A personal token needs a user and no contact."))
            if SCOPE_RANK[data.get("scope", "read")] > SCOPE_RANK[max_scope_for(user)]:
                raise forms.ValidationError(_("Only superusers may hold admin tokens."))
        elif contact is not None or user is not None:
            raise forms.ValidationError(_("An integration token acts as its own user."))
        elif data.get("name"):
            # Set before the model's constraint check, which runs right after this.
            data["user"] = integration_user(data["name"])
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = [
        "name",
        "prefix",
        "kind",
        "scope",
        "user",
        "contact",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["kind", "scope", "revoked_at"]
    list_select_related = ["user", "contact"]
    search_fields = ["name", "prefix", "user__username", "contact__name"]
    actions = ["revoke_tokens"]
    raw_id_fields = ["user", "contact"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Who a token acts as never changes: revoke it and create another.
        if obj is None:
            return []
        return ["kind", "user", "contact", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["kind", "name", "scope", "user", "contact", "rate_limit"]
        if obj is not None:
            fields += ["prefix", "created_at", "last_used_at", "revoked_at"]
        return fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        secret = None if change else issue_secret(obj)
        super().save_model(request, obj, form, change)
        if secret:
            messages.warning(
                request,
                _("Copy the token now, it is not shown again: %(secret)s") % {"secret": secret},
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoked, not deleted: the row keeps when it was used last.
        return False

    @admin.action(description=_("Revoke selected tokens"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            revoke(token)


class WebhookForm(forms.ModelForm):
    url = forms.URLField(label=_("target URL"), max_length=500, assume_scheme="https")
    event_kinds = forms.JSONField(
        required=False,
        initial=list,
        help_text=_('A list such as ["created", "escalated", "resolved"]; empty for every event.'),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "event_kinds", "is_active", "allow_private_network"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kinds = data.get("event_kinds") or []
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            self.add_error("event_kinds", _("Give a list of event kinds."))
        else:
            try:
                data["event_kinds"] = validate_event_kinds(kinds)
            except ValueError as exc:
                self.add_error("event_kinds", str(exc))
        if data.get("url"):
            try:
                check_subscription_target(
                    data["url"], allow_private=bool(data.get("allow_private_network"))
                )
            except UnsafeTarget as exc:
                self.add_error("url", str(exc))
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["name", "url", "is_active", "allow_private_network", "created_at"]
    list_filter = ["is_active"]
    readonly_fields = ["secret", "created_by", "created_at"]

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool
    ) -> None:
        if not obj.secret:
            obj.secret = secrets.token_urlsafe(32)
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_kind",
        "subscription",
        "ticket",
        "delivery_state",
        "attempts",
        "last_status",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["delivery_state", "event_kind", "subscription"]
    list_select_related = ["subscription", "ticket"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]
    fields = readonly_fields = (
        "subscription",
        "ticket",
        "event",
        "event_kind",
        "payload",
        "delivery_state",
        "attempts",
        "last_status",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Retry failed deliveries"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = queryset.filter(delivery_state=DeliveryState.FAILED).update(
            delivery_state=DeliveryState.RETRYING, next_attempt_at=timezone.now()
        )
        messages.success(
            request,
            ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", count)
            % {"n": count},
        )
