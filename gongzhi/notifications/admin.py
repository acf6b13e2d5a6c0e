"""Read-mostly admin: notifications and text messages are written by services, never edited by hand.

Phone numbers are shown masked; an administrator finds a number's messages by searching the full number
(matched through the blind index, never by decrypting rows). Kinds and backends are shown by their names in the
reader's language, not by their codes.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gongzhi.core import crypto
from gongzhi.notifications import messages as templates
from gongzhi.notifications import services
from gongzhi.notifications.models import Notification, SmsMessage

# The short names of GONGZHI_SMS_BACKEND; a gateway class is shown by its dotted path.
BACKEND_LABELS = {
    "console": _("Console (logged, not sent)"),
    "file": _("File (outbox.jsonl)"),
    "null": _("Discarded (null)"),
    "locmem": _("In memory (tests)"),
}


def kind_label(kind: str) -> str:
    """A message kind in words, in the reader's language (its template's label); an unknown kind stays its code."""
    return templates.label(kind)


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


class KindFilter(admin.SimpleListFilter):
    """The kinds present in the table, by their labels."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        present = model_admin.get_queryset(request).order_by().values_list("kind", flat=True).distinct()
        return sorted(((kind, templates.label(kind)) for kind in present), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class BackendFilter(KindFilter):
    title = _("backend")
    parameter_name = "backend"

    def lookups(self, request, model_admin):
        present = model_admin.get_queryset(request).order_by().values_list("backend", flat=True).distinct()
        return sorted(((name, BACKEND_LABELS.get(name, name)) for name in present if name), key=lambda p: str(p[1]))

    def queryset(self, request, queryset):
        return queryset.filter(backend=self.value()) if self.value() else queryset


class KindLabel:
    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj):
        return kind_label(obj.kind)


@admin.register(Notification)
class NotificationAdmin(KindLabel, ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind_label", "title", "read_at", "simulated")
    list_filter = (ReadFilter, KindFilter, "simulated")
    list_select_related = ("recipient",)
    search_fields = ("title", "subject", "recipient__username")
    date_hierarchy = "created_at"
    fields = ("recipient", "kind_label", "title", "body", "url", "subject", "created_at", "read_at", "simulated")
    readonly_fields = ("kind_label",)


@admin.register(SmsMessage)
class SmsMessageAdmin(KindLabel, ReadOnlyAdmin):
    list_display = (
        "created_at",
        "masked_phone",
        "kind_label",
        "status",
        "attempts",
        "backend_label",
        "sent_at",
        "simulated",
    )
    list_filter = ("status", KindFilter, BackendFilter, "simulated")
    search_fields = ("kind", "provider_id")
    search_help_text = _("Kind, provider message id, or a full mobile number.")
    date_hierarchy = "created_at"
    # The full number is never shown here; the masked one is enough to recognise it.
    fields = (
        "masked_phone",
        "kind_label",
        "body",
        "status",
        "attempts",
        "backend_label",
        "error",
        "created_at",
        "last_attempt_at",
        "sent_at",
        "provider_id",
        "simulated",
    )
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description=_("backend"), ordering="backend")
    def backend_label(self, obj):
        return BACKEND_LABELS.get(obj.backend, obj.backend)

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
