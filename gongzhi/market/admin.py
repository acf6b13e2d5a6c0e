"""Administrators keep the free rules here (who pays nothing: aged 60 and over, 低保 households …); events and
bookings are planned and kept in the console, and shown here read-only, with names and numbers masked."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.utils.translation import gettext_lazy as _

from gongzhi.core.privacy import mask_name, mask_phone
from gongzhi.market.choices import RuleKind
from gongzhi.market.models import Booking, Event, FreeRule


class FreeRuleForm(ModelForm):
    class Meta:
        model = FreeRule
        fields = ("jurisdiction", "kind", "min_age", "group", "active", "sort_order")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == RuleKind.AGE and data.get("min_age") is None:
            raise ValidationError(_("An age rule needs the age it starts from."))
        if data.get("kind") == RuleKind.GROUP and not (data.get("group") or "").strip():
            raise ValidationError(_("A group rule needs the household group, e.g. 低保."))
        return data


@admin.register(FreeRule)
class FreeRuleAdmin(admin.ModelAdmin):
    form = FreeRuleForm
    list_display = ("jurisdiction", "kind", "min_age", "group", "active", "sort_order")
    list_filter = ("kind", "active")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ("day", "title", "kind", "node", "place_name", "status")
    list_filter = ("kind", "status")
    search_fields = ("title", "place_name")
    date_hierarchy = "day"


@admin.register(Booking)
class BookingAdmin(ReadOnly):
    list_display = ("code", "event", "offering", "status", "masked_name", "masked_phone", "resident_pays")
    list_filter = ("status", "on_behalf", "walk_up")
    fields = ("code", "event", "offering", "slot", "status", "list_price", "discount", "subsidy", "resident_pays")

    @admin.display(description=_("name"))
    def masked_name(self, obj: Booking) -> str:
        return mask_name(obj.name)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Booking) -> str:
        return mask_phone(obj.phone)
