"""Administrators keep the care groups and each level's visit interval here; the access log is shown read-only (no
add, change or delete: it is append-only by law). Households and residents are deliberately not registered: the
registry is searched and opened in the console, where every opening is logged with its purpose."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as AdminPermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from gongzhi.care import services
from gongzhi.care.models import AccessEntry, CareGroup, VisitInterval
from gongzhi.core.errors import DomainError


@admin.register(CareGroup)
class CareGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "jurisdiction", "sort_order", "active")
    list_filter = ("jurisdiction", "active")
    search_fields = ("name", "code")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # residents are tagged with it: retire a group (in use off) instead


@admin.register(VisitInterval)
class VisitIntervalAdmin(admin.ModelAdmin):
    """Changing an interval reschedules every living resident of that level (``services.set_interval``)."""

    list_display = ("jurisdiction", "level", "every", "unit")
    list_filter = ("jurisdiction", "level")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: VisitInterval, form: Any, change: bool) -> None:
        try:
            moved = services.set_interval(
                jurisdiction=obj.jurisdiction, level=obj.level, every=obj.every, unit=obj.unit, actor=request.user
            )
        except DomainError as exc:
            raise AdminPermissionDenied(exc.message) from None
        found = VisitInterval.objects.get(jurisdiction=obj.jurisdiction, level=obj.level)
        obj.pk = found.pk
        self.message_user(request, _("%(n)s residents rescheduled.") % {"n": moved}, level=messages.INFO)


@admin.register(AccessEntry)
class AccessEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "action", "resident_id_ref", "household_id_ref", "purpose", "detail")
    list_filter = ("action", "purpose", "jurisdiction")
    date_hierarchy = "at"
    search_fields = ("detail",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
