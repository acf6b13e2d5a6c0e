"""Admin: Open311 keys are created here; the key is shown once, in the confirmation message."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext as _

from gongzhi.open311 import keys
from gongzhi.open311.models import Open311Key


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "jurisdiction", "active", "created_at")
    list_filter = ("active", "jurisdiction")
    search_fields = ("name", "prefix")
    fields = ("name", "jurisdiction", "active", "prefix", "created_at")
    readonly_fields = ("prefix", "created_at")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = keys.new_secret()
        obj.prefix, obj.key_hash = raw[:12], keys.digest(raw)
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            _("The Open311 API key for %(name)s is %(key)s — copy it now: it is not stored and cannot be shown again.")
            % {"name": obj.name, "key": raw},
        )
