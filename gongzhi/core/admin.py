import re

from django.contrib import admin, messages
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from gongzhi.core import calendar_days, timeutil
from gongzhi.core.models import AuditEntry, CalendarDay
from gongzhi.core.workcalendar import ChineseWorkCalendar


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records (audit entries, case timelines): shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "target")
    list_filter = ("action",)
    search_fields = ("target",)
    readonly_fields = ("at", "actor", "action", "target", "data")


class CalendarYearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = sorted({day.year for day in CalendarDay.objects.dates("date", "year")}, reverse=True)
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        value = self.value() or ""
        if re.fullmatch(r"[0-9]{4}", value) and value != "0000":  # a year the calendar has ("²" or 99999: ignored)
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "is_workday", "name", "built_in")
    list_filter = (CalendarYearFilter, "is_workday")
    search_fields = ("name", "note")
    date_hierarchy = "date"
    readonly_fields = ("updated_at",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return date_format(obj.date, "l")

    @admin.display(description=_("built-in calendar"))
    def built_in(self, obj):
        official = ChineseWorkCalendar()
        if not official.covered(obj.date.year):
            return _("not covered")
        return _("working day") if official.is_workday(obj.date) else _("day off")

    def changelist_view(self, request, extra_context=None):
        official = ChineseWorkCalendar()
        this_year = timeutil.local_today().year
        for year in (this_year, this_year + 1):
            if not official.covered(year) and not CalendarDay.objects.filter(date__year=year).exists():
                messages.warning(
                    request,
                    _(
                        "The built-in calendar has no official holidays for %(year)s yet. Add that year's holidays "
                        "and working weekends here; until then only Monday to Friday count as working days."
                    )
                    % {"year": year},
                )
        return super().changelist_view(request, extra_context)

    # Working-time deadlines read the calendar through a per-process cache; this process drops it once the change
    # is committed, other processes notice within the cache TTL.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(calendar_days.invalidate)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(calendar_days.invalidate)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(calendar_days.invalidate)
