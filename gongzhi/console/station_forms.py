"""Forms of the console's station pages: a station's set-up (items, opening hours, point on the map), a rota shift,
the desk's +1 visitor, walk-in request (optionally 即时办结) and 代办 on a resident's behalf."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.grid.models import GridNode, StaffPost
from gongzhi.stations.choices import Kind, Tier, Weekday
from gongzhi.stations.models import Matter, ServiceItem, Station
from gongzhi.stations.services import Hours

_SPAN = re.compile(r"^\s*([01]?\d|2[0-3])[:：]([0-5]\d)\s*[-–—~至]\s*([01]?\d|2[0-4])[:：]([0-5]\d)\s*$")


def parse_spans(text: str) -> list[tuple[time, time]]:
    """ "8:30-12:00, 14:00-17:30" → spans; "" → none; anything else is a ValidationError that says what to write."""
    spans = []
    for part in re.split(r"[,，;；、]", text or ""):
        if not part.strip():
            continue
        m = _SPAN.match(part)
        if not m:
            raise forms.ValidationError(_("Write opening hours as 8:30-12:00, 14:00-17:30."))
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        end = time(0, 0) if h2 == 24 else time(h2, m2)
        if h2 == 24 and m2:
            raise forms.ValidationError(_("Write opening hours as 8:30-12:00, 14:00-17:30."))
        if time(h1, m1) == end:
            raise forms.ValidationError(_("A span must not open and close at the same time."))
        spans.append((time(h1, m1), end))
    return spans


def format_spans(rows: list[Any]) -> str:
    return ", ".join(f"{r.opens:%H:%M}-{r.closes:%H:%M}" for r in rows)


class StationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    node = forms.ChoiceField(label=_("Grid node (community or compound's grid)"))
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    tier = forms.TypedChoiceField(label=_("Tier"), choices=Tier.choices, coerce=int)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Work phone"), max_length=32, required=False)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    items = forms.ModelMultipleChoiceField(
        label=_("Service items"),
        queryset=ServiceItem.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    closed_on_holidays = forms.BooleanField(label=_("Closed on public holidays"), required=False, initial=True)
    active = forms.BooleanField(label=_("Open (shown to residents)"), required=False, initial=True)

    def __init__(self, *args: Any, nodes: list[GridNode], station: Station | None = None, **kwargs: Any) -> None:
        if station is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": station.name,
                "node": str(station.node_id),
                "kind": station.kind,
                "tier": station.tier,
                "address": station.address,
                "phone": station.phone,
                "lat": station.lat,
                "lon": station.lon,
                "items": list(station.items.all()),
                "closed_on_holidays": station.closed_on_holidays,
                "active": station.active,
                **{f"hours_{d}": format_spans([h for h in station.hours.all() if h.weekday == d]) for d in range(7)},
            }
        super().__init__(*args, **kwargs)
        self.nodes = {str(n.pk): n for n in nodes}
        field = self.fields["node"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(k, f"{'　' * (len(n.path) // 4 - 1)}{n.name}") for k, n in self.nodes.items()]
        for day in Weekday:
            self.fields[f"hours_{day.value}"] = forms.CharField(label=day.label, max_length=100, required=False)
        self.fields["lat"].widget = forms.HiddenInput()
        self.fields["lon"].widget = forms.HiddenInput()

    @property
    def hour_fields(self) -> list[Any]:
        return [self[f"hours_{d}"] for d in range(7)]

    def clean_node(self) -> GridNode:
        node = self.nodes.get(self.cleaned_data.get("node") or "")
        if node is None:
            raise forms.ValidationError(_("Choose a place in your area."))
        return node

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lon") is None):
            self.add_error("lat", _("Give both latitude and longitude, or neither."))
        spans: list[Hours] = []
        for day in range(7):
            try:
                spans += [Hours(day, a, b) for a, b in parse_spans(data.get(f"hours_{day}", ""))]
            except forms.ValidationError as exc:
                self.add_error(f"hours_{day}", exc)
        data["hours"] = spans
        return data


def _clock(text: str) -> time:
    m = re.fullmatch(r"\s*([01]?\d|2[0-3])[:：]([0-5]\d)\s*", text or "")
    if not m:
        raise forms.ValidationError(_("Write a time as 8:30 or 20:00."))
    return time(int(m.group(1)), int(m.group(2)))


class ShiftForm(forms.Form):
    post = forms.ChoiceField(label=_("Who"))
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days"), choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    starts = forms.CharField(label=_("From"), max_length=5)
    ends = forms.CharField(
        label=_("Until"), max_length=5, help_text=_("A shift that ends before it starts runs past midnight.")
    )

    def __init__(self, *args: Any, posts: list[StaffPost], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.posts = {str(p.pk): p for p in posts}
        field = self.fields["post"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(k, f"{p.user} · {p.title or p.get_role_display()} · {p.node}") for k, p in self.posts.items()]

    def clean_post(self) -> StaffPost:
        post = self.posts.get(self.cleaned_data.get("post") or "")
        if post is None:
            raise forms.ValidationError(_("Choose someone from your area."))
        return post

    def clean_starts(self) -> time:
        return _clock(self.cleaned_data.get("starts", ""))

    def clean_ends(self) -> time:
        return _clock(self.cleaned_data.get("ends", ""))


class VisitForm(forms.Form):
    purpose = forms.CharField(label=_("Came for (optional)"), max_length=100, required=False)


class WalkInForm(forms.Form):
    title = forms.CharField(label=_("Request in one line"), max_length=200)
    description = forms.CharField(
        label=_("Details"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reporter_name = forms.CharField(label=_("Resident's name"), max_length=64, required=False)
    reporter_phone = forms.CharField(label=_("Resident's mobile phone"), max_length=20, required=False)
    solved_on_the_spot = forms.BooleanField(label=_("Solved on the spot (即时办结)"), required=False)
    result = forms.CharField(label=_("What was done on the spot"), max_length=5000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("solved_on_the_spot") and not (data.get("result") or "").strip():
            self.add_error("result", _("Say what was done on the spot."))
        if data.get("result") and not data.get("solved_on_the_spot"):
            self.add_error("solved_on_the_spot", _("Tick “solved on the spot” to record a result now."))
        return data


class ErrandForm(forms.Form):
    matter = forms.ChoiceField(label=_("Matter"))
    reporter_name = forms.CharField(label=_("Resident's name"), max_length=64)
    reporter_phone = forms.CharField(label=_("Resident's mobile phone"), max_length=20)
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, matters: list[Matter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.matters = {m.code: m for m in matters}
        field = self.fields["matter"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(m.code, m.name) for m in matters]
        self.fields["reporter_phone"].widget.input_type = "tel"

    def clean_matter(self) -> Matter:
        found = self.matters.get(self.cleaned_data.get("matter") or "")
        if found is None:
            raise forms.ValidationError(_("Choose a matter this station handles."))
        return found
