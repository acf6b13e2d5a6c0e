"""Read-mostly admin: notifications and text messages are written by services, never edited by hand.

Phone numbers are shown masked; an administrator finds a number's messages by searching the full number
(matched through the blind index, never by decrypting rows).
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gongzhi.core import crypto
from gongzhi.notifications import services
from gongzhi.notifications.models import Notification, SmsMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("yes", _("read")), ("no", _("unread"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_filter = (ReadFilter, "kind")
    list_select_related = ("recipient",)
    search_fields = ("title", "subject", "recipient__username")
    date_hierarchy = "created_at"
    fields = ("recipient", "kind", "title", "body", "url", "subject", "created_at", "read_at")


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "masked_phone", "kind", "status", "attempts", "backend", "sent_at")
    list_filter = ("status", "kind", "backend")
    search_fields = ("kind", "provider_id")
    search_help_text = _("Kind, provider message id, or a full mobile number.")
    date_hierarchy = "created_at"
    # The full number is never shown here; the masked one is enough to recognise it.
    fields = (
        "masked_phone",
        "kind",
        "body",
        "status",
        "attempts",
        "backend",
        "error",
        "created_at",
        "last_attempt_at",
        "sent_at",
        "provider_id",
    )
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return obj.masked_phone

    def get_search_results(self, request, queryset, search_term):
        result, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = crypto.normalise_phone(search_term)
        if len(number) == 11:
            result |= queryset.filter(phone_index=crypto.blind_index(number))
        return result, may_have_duplicates

    @admin.action(description=_("Send the selected messages again now (sent ones are skipped)"))
    def retry(self, request, queryset):
        ids = list(queryset.exclude(status=SmsMessage.Status.SENT).values_list("pk", flat=True))
        sent = sum(1 for pk in ids if (sms := services.deliver(pk)) and sms.status == SmsMessage.Status.SENT)
        self.message_user(
            request,
            ngettext("%(sent)d of %(count)d message sent.", "%(sent)d of %(count)d messages sent.", len(ids))
            % {"sent": sent, "count": len(ids)},
            messages.SUCCESS if sent == len(ids) else messages.WARNING,
        )
