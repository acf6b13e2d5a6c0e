"""Forms of the console's market pages (市集 and 服务列车进小区): planning an event or a recurring series, a window, an
offering from a project of the projects list, prices, a slot's places, a booking for a resident without a phone, the
desk's check-in and walk-up, and the ledger's period.

Forms check shapes (a date, a whole number, a choice offered); amounts are passed on as typed, and the market's
services refuse a bad one with their own message (money is never a float here)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.grid.models import Compound, GridNode
from gongzhi.market.choices import EventKind, PlaceKind, Repeat

WEEKDAYS = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]
_AMOUNT = forms.CharField  # amounts stay text until market.pricing reads them as Decimal


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _amount(label: Any, *, required: bool = False, initial: str = "") -> forms.CharField:
    return _AMOUNT(
        label=label,
        required=required,
        initial=initial,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class PlaceForm(forms.Form):
    """Community, kind, title and place: what an event and a series share."""

    node = forms.ChoiceField(label=_("Community"))
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices, initial=EventKind.MARKET)
    title = forms.CharField(label=_("Title"), max_length=200)
    theme = forms.CharField(label=_("Theme (e.g. 居家维修)"), max_length=100, required=False)
    starts = forms.TimeField(label=_("Starts"), widget=_time_input())
    ends = forms.TimeField(label=_("Ends"), widget=_time_input())
    place_kind = forms.ChoiceField(
        label=_("Where"), choices=PlaceKind.choices, initial=PlaceKind.STATION, widget=forms.RadioSelect
    )
    station = forms.ChoiceField(label=_("Station"), required=False)
    compound = forms.ChoiceField(label=_("Compound"), required=False)
    place_name = forms.CharField(label=_("Name of the place"), max_length=200, required=False)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    publish = forms.BooleanField(label=_("Publish now (residents can book)"), required=False)

    def __init__(
        self,
        *args: Any,
        nodes: list[GridNode],
        stations: list[dict[str, Any]],
        compounds: list[Compound],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = {str(n.pk): n for n in nodes}
        self.fields["node"].choices = [(str(n.pk), n.name) for n in nodes]
        self.stations = {str(s["id"]): s for s in stations}
        self.fields["station"].choices = [("", "—")] + [
            (str(s["id"]), f"{s['name']}（{s['community']}）") for s in stations
        ]
        self.compounds = {str(c.pk): c for c in compounds}
        self.fields["compound"].choices = [("", "—")] + [(str(c.pk), c.name) for c in compounds]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["node"] = self.nodes.get(str(data.get("node")))
        kind = data.get("place_kind")
        station = self.stations.get(str(data.get("station") or ""))
        compound = self.compounds.get(str(data.get("compound") or ""))
        node = data["node"]
        if kind == PlaceKind.STATION:
            if station is None:
                self.add_error("station", _("Choose the station."))
            elif node is not None and station["community_id"] != node.pk:
                self.add_error("station", _("This station is not in the community chosen."))
        if kind == PlaceKind.COMPOUND:
            if compound is None:
                self.add_error("compound", _("Choose the compound."))
            elif node is not None and not compound.node.path.startswith(node.path):
                self.add_error("compound", _("This compound is not in the community chosen."))
        if kind == PlaceKind.POINT and (data.get("lat") is None or data.get("lon") is None):
            self.add_error("place_name", _("Tap the map where the event is held."))
        data["station_row"], data["compound_obj"] = station, compound
        return data


class EventForm(PlaceForm):
    day = forms.DateField(label=_("Day"), widget=_date_input())

    field_order = ["node", "kind", "title", "theme", "day", "starts", "ends"]


class SeriesForm(PlaceForm):
    repeat = forms.ChoiceField(label=_("Repeats"), choices=Repeat.choices, initial=Repeat.WORKDAYS)
    weekdays = forms.MultipleChoiceField(
        label=_("On these weekdays"), choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    skip_holidays = forms.BooleanField(label=_("Not on public holidays"), required=False, initial=True)
    first_day = forms.DateField(label=_("First day"), widget=_date_input())
    last_day = forms.DateField(label=_("Last day"), widget=_date_input())
    skip_days = forms.CharField(
        label=_("Days left out"),
        required=False,
        max_length=2000,
        help_text=_("Dates separated by commas, e.g. 2026-12-24, 2026-12-31."),
    )

    field_order = ["node", "kind", "title", "theme", "repeat", "weekdays", "skip_holidays", "first_day", "last_day"]

    def clean_skip_days(self) -> list[date]:
        days = []
        for part in re.split(r"[,，;；、\s]+", self.cleaned_data.get("skip_days") or ""):
            if not part:
                continue
            try:
                days.append(date.fromisoformat(part))
            except ValueError:
                raise forms.ValidationError(
                    _("%(value)s is not a date: write it like 2026-12-24."), params={"value": part}
                ) from None
        return days


class WindowForm(forms.Form):
    title = forms.CharField(label=_("Window"), max_length=100, help_text=_("e.g. 书记面对面, 一站式窗口"))
    staffed_by = forms.CharField(label=_("Staffed by"), max_length=200, required=False)


class OfferingForm(forms.Form):
    """A service at the event, from a project of the community's projects list."""

    project = forms.ChoiceField(label=_("Project (from the projects list)"))
    window = forms.ChoiceField(label=_("Window"), required=False)
    list_price = _amount(_("List price (yuan)"), initial="")
    merchant_discount = _amount(_("Merchant discount (yuan)"), initial="0")
    discount_percent = _amount(_("or merchant discount (%)"))
    community_subsidy = _amount(_("Community subsidy (yuan)"), initial="0")
    free_rules_apply = forms.BooleanField(label=_("Free for those the free rules name (60+, 低保 …)"), required=False)
    slot_minutes = forms.IntegerField(label=_("Minutes per slot"), min_value=5, max_value=480, initial=30)
    per_slot = forms.IntegerField(label=_("Places per slot"), min_value=1, max_value=500, initial=2)
    per_resident = forms.IntegerField(label=_("Bookings per resident"), min_value=1, max_value=20, initial=1)
    waiting_list = forms.BooleanField(label=_("Keep a waiting list"), required=False)
    whole_series = forms.BooleanField(label=_("Also at every later day of the series"), required=False)

    def __init__(self, *args: Any, projects: list[Any], windows: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"free_rules_apply": True, "waiting_list": True})
        super().__init__(*args, **kwargs)
        self.projects = {str(p.pk): p for p in projects}
        self.fields["project"].choices = [(str(p.pk), f"{p.name} · {p.provider.name} · ¥{p.price}") for p in projects]
        self.windows = {str(w.pk): w for w in windows}
        self.fields["window"].choices = [("", "—")] + [(str(w.pk), str(w)) for w in windows]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["project"] = self.projects.get(str(data.get("project")))
        data["window"] = self.windows.get(str(data.get("window") or ""))
        return data


class PricesForm(forms.Form):
    list_price = _amount(_("List price (yuan)"), required=True)
    merchant_discount = _amount(_("Merchant discount (yuan)"))
    discount_percent = _amount(_("or merchant discount (%)"))
    community_subsidy = _amount(_("Community subsidy (yuan)"))
    free_rules_apply = forms.BooleanField(label=_("Free for those the free rules name (60+, 低保 …)"), required=False)
    per_resident = forms.IntegerField(label=_("Bookings per resident"), min_value=1, max_value=20)
    waiting_list = forms.BooleanField(label=_("Keep a waiting list"), required=False)


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("Places"), min_value=0, max_value=500)


class CancelEventForm(forms.Form):
    reason = forms.CharField(label=_("Reason (sent to everyone booked)"), max_length=300)


class ResidentFields(forms.Form):
    """Who is served: a name, a number (optional for staff), the age and household groups declared."""

    name = forms.CharField(label=_("Resident's name"), max_length=40, required=False)
    phone = forms.CharField(label=_("Mobile number (optional)"), max_length=20, required=False)
    age = forms.IntegerField(label=_("Age"), min_value=0, max_value=130, required=False)
    groups = forms.MultipleChoiceField(label=_("Household groups"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, groups: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [(g, g) for g in groups]


class BookForm(ResidentFields):
    """Staff book a place for a resident without a phone."""

    slot = forms.ChoiceField(label=_("Service and time"))

    field_order = ["slot", "name", "phone", "age", "groups"]

    def __init__(self, *args: Any, slots: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = slots
        self.fields["name"].required = True


class WalkUpForm(ResidentFields):
    offering = forms.ChoiceField(label=_("Service"))

    field_order = ["offering", "name", "phone", "age", "groups"]

    def __init__(self, *args: Any, offerings: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offerings = {str(o.pk): o for o in offerings}
        self.fields["offering"].choices = [(str(o.pk), o.name) for o in offerings]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["offering"] = self.offerings.get(str(data.get("offering")))
        return data


class CheckInForm(forms.Form):
    """The stall confirms (or corrects) the age and groups declared; the price follows."""

    code = forms.CharField(max_length=64, widget=forms.HiddenInput)
    age = forms.IntegerField(label=_("Age (checked)"), min_value=0, max_value=130, required=False)
    groups = forms.MultipleChoiceField(
        label=_("Household groups (checked)"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, groups: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [(g, g) for g in groups]


class LedgerForm(forms.Form):
    month = forms.CharField(label=_("Month"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}))
    node = forms.ChoiceField(label=_("Community"), required=False)

    def __init__(self, *args: Any, nodes: list[GridNode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = {str(n.pk): n for n in nodes}
        self.fields["node"].choices = [("", _("all communities in my area"))] + [(str(n.pk), n.name) for n in nodes]

    def clean_month(self) -> date:
        raw = self.cleaned_data["month"].strip()
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
        if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
            raise forms.ValidationError(_("Write the month like 2026-12."))
        return date(int(m.group(1)), int(m.group(2)), 1)

    def clean_node(self) -> GridNode | None:
        raw = self.cleaned_data.get("node") or ""
        return self.nodes.get(raw)
