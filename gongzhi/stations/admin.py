from django.contrib import admin

from gongzhi.stations.models import DutyShift, Matter, OpeningHours, ServiceItem, Station, TierRequirement


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "outdoor_workers", "sort_order")
    list_filter = ("outdoor_workers",)
    search_fields = ("code", "name", "name_en")


@admin.register(TierRequirement)
class TierRequirementAdmin(admin.ModelAdmin):
    list_display = ("tier", "item")
    list_filter = ("tier",)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class DutyShiftInline(admin.TabularInline):
    model = DutyShift
    extra = 0
    raw_id_fields = ("post",)


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("name", "node", "kind", "tier", "active")
    list_filter = ("kind", "tier", "active")
    search_fields = ("name", "address")
    raw_id_fields = ("node",)
    filter_horizontal = ("items",)
    inlines = (OpeningHoursInline, DutyShiftInline)


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "jurisdiction", "mode", "days", "active")
    list_filter = ("mode", "active")
    search_fields = ("name", "code")
    filter_horizontal = ("stations",)
