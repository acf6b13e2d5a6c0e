"""Admin: partners, their tokens (shown once, when created) and the webhook deliveries with their status."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.api import tokens
from gongzhi.api.models import ApiToken, InboundCase, Partner, WebhookDelivery


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "jurisdiction", "channel", "active", "webhook_url", "webhook_paused_until")
    list_filter = ("active", "jurisdiction", "channel")
    search_fields = ("name", "code")
    readonly_fields = ("webhook_cursor", "webhook_paused_until", "created_at")


def _issue(request, obj) -> None:
    raw = tokens.new_secret()
    obj.prefix, obj.key_hash = raw[:12], tokens.digest(raw)
    obj._raw = raw


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "partner", "user", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "prefix")
    raw_id_fields = ("user",)
    fields = ("name", "partner", "user", "active", "prefix", "created_at")
    readonly_fields = ("prefix", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            _issue(request, obj)
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(
                request,
                _("The API token for %(name)s is %(token)s — copy it now: it is not stored and cannot be shown again.")
                % {"name": obj.name, "token": obj._raw},
            )


@admin.register(InboundCase)
class InboundCaseAdmin(admin.ModelAdmin):
    list_display = ("external_id", "partner", "case", "created_at")
    list_filter = ("partner",)
    search_fields = ("external_id", "case__tracking_code")
    raw_id_fields = ("case",)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "partner", "case", "event_id", "status", "attempts", "last_status_code", "sent_at")
    list_filter = ("status", "partner")
    search_fields = ("case__tracking_code",)
    readonly_fields = (
        "partner",
        "event_id",
        "case",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "sent_at",
        "created_at",
    )
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("Retry the selected deliveries now"))
    def retry_now(self, request, queryset):
        from django.utils import timezone

        count = queryset.exclude(status="sent").update(status="retrying", next_attempt_at=timezone.now())
        Partner.objects.filter(pk__in=queryset.values("partner_id")).update(webhook_paused_until=None)
        messages.info(request, _("%(n)d deliveries will be retried.") % {"n": count})
