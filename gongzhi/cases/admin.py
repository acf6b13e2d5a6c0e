"""Admin: categories and deadline policies are edited here; cases only change through the services, so the admin
shows them read-only with their timeline."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gongzhi.cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    CoHandlingTask,
    DepartmentCase,
    PhoneReveal,
    Rating,
    SlaPolicy,
    SupervisionNotice,
)
from gongzhi.core.admin import ReadOnlyAdmin


class SlaPolicyInline(admin.TabularInline):
    model = SlaPolicy
    extra = 0
    fields = ("urgency", "response_minutes", "resolve_minutes", "working_time", "warn_ratio", "grace_minutes")


@admin.register(CaseCategory)
class CaseCategoryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "kind",
        "default_level",
        "default_department_kind",
        "default_urgency",
        "private",
        "errand",
        "active",
    )
    list_filter = ("jurisdiction", "kind", "default_level", "private", "errand", "active")
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("parent",)
    inlines = [SlaPolicyInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("category", "urgency", "response_minutes", "resolve_minutes", "working_time", "grace_minutes")
    list_filter = ("jurisdiction", "urgency", "working_time")
    raw_id_fields = ("category",)


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ("seq", "at", "kind", "actor", "from_status", "to_status", "note", "public")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("tracking_code", "title", "status", "level", "category", "sla_state", "submitted_at")
    list_filter = ("jurisdiction", "status", "level", "channel", "urgency", "sla_state")
    search_fields = ("tracking_code", "title", "external_id")
    date_hierarchy = "submitted_at"
    list_select_related = ("category",)
    exclude = ("reporter_phone",)
    inlines = [CaseEventInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ("case", "seq", "kind", "actor", "from_status", "to_status", "at")
    list_filter = ("kind",)
    raw_id_fields = ("case",)


@admin.register(CoHandlingTask)
class CoHandlingTaskAdmin(ReadOnlyAdmin):
    list_display = ("case", "department", "status", "due", "reported_at")
    list_filter = ("status",)


@admin.register(SupervisionNotice)
class SupervisionNoticeAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "issued_by", "created_at", "due")
    list_filter = ("kind",)


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("case", "score", "solved", "rating_round", "created_at")
    list_filter = ("score", "solved")

    @admin.display(description=_("round"), ordering="round")
    def rating_round(self, obj: Rating) -> str:
        return obj.round_label


@admin.register(PhoneReveal)
class PhoneRevealAdmin(ReadOnlyAdmin):
    """The access log of reporters' phone numbers: who saw which case's number, when, as what and why."""

    list_display = ("at", "actor", "case", "basis", "purpose")
    list_filter = ("basis",)
    search_fields = ("case__tracking_code", "actor__username", "purpose")
    date_hierarchy = "at"
    list_select_related = ("actor", "case")
    raw_id_fields = ("case", "actor")


@admin.register(DepartmentCase)
class DepartmentCaseAdmin(ReadOnlyAdmin):
    list_display = ("department", "case", "via", "at")
    list_filter = ("via", "department")
    raw_id_fields = ("case",)
