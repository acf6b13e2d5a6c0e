from django.contrib import admin

from gongzhi.portal.models import ServicePoint


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ("name", "node", "tier", "hours", "active")
    list_filter = ("tier", "active")
    search_fields = ("name", "address")
    raw_id_fields = ("node",)
    filter_horizontal = ("on_duty",)
