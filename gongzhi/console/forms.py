"""Console forms: they parse and validate input; the case services decide. No business rule lives here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from gongzhi.cases import public
from gongzhi.cases import selectors as case_selectors
from gongzhi.cases.choices import Channel, SlaState, Status, Urgency
from gongzhi.cases.models import Case, CaseCategory
from gongzhi.cases.public import MAX_SUMMARY
from gongzhi.console import selectors
from gongzhi.core import photos
from gongzhi.core.errors import NotFound
from gongzhi.grid import location, roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.choices import DepartmentKind, Level
from gongzhi.grid.models import Building, Compound, Department, GridNode

MAX_PHOTOS = photos.MAX_PHOTOS_PER_FORM


def _local_input(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_current_timezone())
    return value


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS photos, each checked and cleaned by the one cleaner every upload goes through (core.photos:
    judged by content, bounded, resized, re-encoded without any metadata). Cleans to ``core.photos.CleanPhoto``s."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"})

    def __init__(self, *args: Any, max_photos: int = MAX_PHOTOS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_photos = max_photos

    def clean(self, data: Any, initial: Any = None) -> list[photos.CleanPhoto]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > self.max_photos:
            raise forms.ValidationError(_("At most %(n)d photos.") % {"n": self.max_photos})
        try:
            return [photos.clean(f) for f in files]
        except photos.PhotoError as exc:
            raise forms.ValidationError(exc.message, code="too_large" if exc.status == 413 else "invalid") from None


def store_photos(case: Case, cleaned: list[photos.CleanPhoto]) -> list[str]:
    """Store a case's result photos (already cleaned by PhotosField); returns the storage names. Result photos are
    the ones the public board may show once the case is published."""
    return photos.store(cleaned, prefix=f"cases/{case.pk}")


def discard_photos(names: list[str]) -> None:
    photos.discard(names)


# ---------------------------------------------------------------------------------------------------- actions


class EmptyForm(forms.Form):
    """Accept, resume: the button is the whole input."""


class PublishForm(forms.Form):
    """公示: the public summary, started from the category, the place and the result (``cases.public``). What looks
    like personal data in it is highlighted; publishing it anyway takes a tick ("I checked")."""

    summary = forms.CharField(
        label=_("Public summary (what the public board shows)"),
        max_length=MAX_SUMMARY,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Say what the problem was and what was done. No names, phone numbers, ID numbers or flat numbers."),
    )
    checked = forms.BooleanField(
        label=_("I checked the highlighted parts: they are not personal data"),
        required=False,
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("summary", public.prefilled_summary(case))

    def current_text(self) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix("summary"), ""))
        return str(self.initial.get("summary", ""))

    def flagged_parts(self) -> list[tuple[str, str]]:
        return public.flagged_parts(self.current_text())

    def flags(self) -> list[Any]:
        return public.summary_flags(self.current_text())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        summary = data.get("summary") or ""
        if summary and public.summary_flags(summary) and not data.get("checked"):
            self.add_error(
                "summary",
                _(
                    "The summary still holds what looks like personal data (highlighted). Remove it, or tick the box "
                    "if it is not personal data."
                ),
            )
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class ResolveForm(forms.Form):
    result = forms.CharField(label=_("What was done"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("Photos"), required=False)


@dataclass(frozen=True)
class Suggestion:
    """What smart triage said about a case, as the triage and dispatch forms use it (codes, not names)."""

    category: str = ""
    confidence: float = 0.0
    level: str = ""
    unit: str = ""


class CategorySelect(forms.Select):
    """Each category option carries its default handling level (``data-level``): console-case.js moves the level
    to it when the dispatcher picks another category."""

    def __init__(self, *args: Any, levels: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.levels = levels or {}

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        level = self.levels.get(str(option["value"]))
        if level:
            option["attrs"]["data-level"] = level
        return option


class TriageForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=[("", _("keep")), *list(Urgency.choices)], required=False)
    level = forms.ChoiceField(label=_("Handling level"), required=False)  # left out: the category's default
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)

    def __init__(self, *args: Any, case: Case, suggestion: Suggestion | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leaves = list(
            case_selectors.categories_for(case.jurisdiction_id, leaves_only=True)
            .select_related("parent")
            .order_by("parent__sort_order", "parent__code", "sort_order", "code")
        )
        self._categories = {str(c.pk): c for c in leaves}
        groups: dict[str, list[tuple[str, str]]] = {}
        for c in leaves:
            groups.setdefault(c.parent.name if c.parent_id else "", []).append((str(c.pk), c.name))
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.widget = CategorySelect(levels={str(c.pk): c.default_level for c in leaves})
        category.choices = [
            ("", _("— choose a category —")),
            *groups.pop("", []),
            *((name, options) for name, options in groups.items()),
        ]
        by_code = {c.code: c for c in leaves}
        chosen = self._categories.get(str(case.category_id)) if case.category_id else None
        if chosen is None and suggestion is not None and suggestion.category in by_code:
            chosen = by_code[suggestion.category]
            category.help_text = _(
                "Pre-filled from the triage suggestion: %(name)s, %(p)d%% confident. Check it before you triage."
            ) % {"name": chosen.name, "p": round(suggestion.confidence * 100)}
        if chosen is not None:
            self.initial.setdefault("category", str(chosen.pk))
        # Each level says where the case goes: which dispatch desk will own it after triage.
        self.desks = case_selectors.desks_by_level(case)
        level = self.fields["level"]
        assert isinstance(level, forms.ChoiceField)
        level.choices = [
            (code, _("%(level)s — stays at this desk (%(desk)s)") % {"level": Level(code).label, "desk": desk.name})
            if desk.pk == case.owner_node_id
            else (
                code,
                _("%(level)s — goes to the dispatch desk of %(desk)s")
                % {"level": Level(code).label, "desk": desk.name},
            )
            for code, desk in reversed(list(self.desks.items()))
        ]
        level.help_text = _("The handling level decides which dispatch desk owns the case after triage.")
        if case.category_id:
            initial = case.level
        elif suggestion is not None and suggestion.level in self.desks:
            initial = suggestion.level
        else:
            initial = chosen.default_level if chosen is not None else case.level
        self.initial.setdefault("level", initial if initial in self.desks else next(iter(self.desks), ""))

    def clean_category(self) -> CaseCategory:
        return self._categories[self.cleaned_data["category"]]


class DispatchForm(forms.Form):
    """Where to send the case, grouped by kind and level (console-case.js adds a filter box over the list)."""

    target = forms.ChoiceField(label=_("Send to"), widget=forms.Select(attrs={"data-filter": "targets"}))
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)

    def __init__(self, *args: Any, case: Case, suggestion: Suggestion | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = selectors.dispatch_targets(case, department_kind=suggestion.unit if suggestion else "")
        self._objects: dict[str, dict[str, Any]] = {}
        groups: list[tuple[Any, list[tuple[str, str]]]] = []

        def group(label: Any, items: list[tuple[str, str, dict[str, Any]]]) -> None:
            if items:
                groups.append((label, [(key, text) for key, text, _ in items]))
                self._objects.update({key: target for key, _, target in items})

        group(
            _("Stewards' pool of a micro-grid (first to accept takes it)"),
            [
                (f"pool:{n.pk}", _("%(unit)s (stewards' pool)") % {"unit": n.name}, {"node": n, "pool": True})
                for n in options["micro_grids"]
            ],
        )
        group(
            _("A person"),
            [
                (f"user:{p.user_id}", f"{p.user} · {p.get_role_display()} · {p.node.name}", {"user": p.user})
                for p in options["people"]
            ],
        )
        for level in (roles.MICRO_GRID, roles.GRID, roles.COMMUNITY, roles.STREET, roles.DISTRICT):
            units = [n for n in options["units"] if n.level == level]
            group(
                _("A unit: %(level)s") % {"level": Level(level).label},
                [(f"node:{n.pk}", n.name, {"node": n}) for n in units],
            )
        suggested = [d for d in options["departments"] if d.kind == (suggestion.unit if suggestion else None)]
        group(
            _("A department suggested by triage (%(kind)s)") % {"kind": DepartmentKind(suggestion.unit).label}
            if suggested and suggestion is not None
            else "",
            [(f"dept:{d.pk}", d.name, {"department": d}) for d in suggested],
        )
        group(
            _("A department"),
            [(f"dept:{d.pk}", d.name, {"department": d}) for d in options["departments"] if d not in suggested],
        )
        field = self.fields["target"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— choose where to send it —")), *groups]
        field.widget.attrs.update(
            {
                "data-filter-label": _("Filter the places to send it"),
                "data-filter-placeholder": _("Type a name, place or role"),
                "data-filter-found": _("%s found"),
                "data-filter-none": _("Nothing matches; change or clear the filter."),
            }
        )
        field.help_text = _("%(n)d places to send it; type in the filter box to narrow them down.") % {
            "n": len(self._objects)
        }

    def clean_target(self) -> dict[str, Any]:
        return self._objects[self.cleaned_data["target"]]


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Tracking code of the case to merge into"), max_length=16)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_into(self) -> Case:
        code = self.cleaned_data["into"].strip().upper()
        try:
            return case_selectors.case_list_visible_to(self.user).get(tracking_code=code)
        except Case.DoesNotExist:
            raise forms.ValidationError(_("No case with this tracking code in your area.")) from None


class SuperviseForm(forms.Form):
    reason = forms.CharField(label=_("What must happen"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    due = forms.DateTimeField(label=_("Respond by"), required=False, widget=DateTimeLocalInput())

    def clean_due(self) -> datetime | None:
        return _local_input(self.cleaned_data.get("due"))


class WhistleForm(forms.Form):
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"), queryset=Department.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    task = forms.CharField(label=_("Their task"), max_length=300)
    due = forms.DateTimeField(label=_("Report in by"), required=False, widget=DateTimeLocalInput())

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["departments"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Department.objects.filter(jurisdiction_id=case.jurisdiction_id, active=True).order_by("code")

    def clean_due(self) -> datetime | None:
        return _local_input(self.cleaned_data.get("due"))


def action_form(
    name: str, *, case: Case, user: Any, data: Any = None, files: Any = None, suggestion: Suggestion | None = None
) -> forms.Form:
    if name == "resolve":
        return ResolveForm(data, files)
    if name == "triage":
        return TriageForm(data, case=case, suggestion=suggestion)
    if name == "dispatch":
        return DispatchForm(data, case=case, suggestion=suggestion)
    if name == "merge":
        return MergeForm(data, user=user)
    if name == "supervise":
        return SuperviseForm(data)
    if name == "whistle":
        return WhistleForm(data, case=case)
    if name in {"hold", "return", "escalate", "reject", "rework"}:
        return ReasonForm(data)
    if name == "close":
        return CloseForm(data)
    if name == "publish":
        return PublishForm(data, case=case)
    return EmptyForm(data)


class RevealPhoneForm(forms.Form):
    purpose = forms.CharField(
        label=_("Why you call (optional, kept in the access log)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. to arrange a visit")}),
    )


class ReportInForm(forms.Form):
    report = forms.CharField(
        label=_("What your department did"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


# ----------------------------------------------------------------------------------------------------- record


def _label(category: CaseCategory) -> str:
    english = (get_language() or "").startswith("en")
    return category.name_en if english and category.name_en else category.name


class RecordForm(forms.Form):
    """代录 (walk-in or phone, on a resident's behalf) and 主动发现 (found on patrol): what, of which type, where (a
    building, a compound or a pin on the map), photos, and who to reach."""

    channel = forms.ChoiceField(
        label=_("How it came in"),
        choices=[(c, Channel(c).label) for c in (Channel.PATROL, Channel.WALK_IN, Channel.PHONE)],
    )
    title = forms.CharField(label=_("Problem in one line"), max_length=200)
    description = forms.CharField(
        label=_("Details"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ChoiceField(label=_("Type of problem"), required=False)
    building = forms.ChoiceField(label=_("Building"), required=False)
    compound = forms.ChoiceField(label=_("Or a compound"), required=False)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(label=_("Exact spot (optional)"), max_length=200, required=False)
    photos = PhotosField(label=_("Photos"), required=False, max_photos=photos.MAX_REPORT_PHOTOS)
    reporter_name = forms.CharField(label=_("Resident's name"), max_length=64, required=False)
    reporter_phone = forms.CharField(label=_("Resident's mobile phone"), max_length=20, required=False)
    solved_on_the_spot = forms.BooleanField(label=_("Solved on the spot (即时办结)"), required=False)
    result = forms.CharField(label=_("What was done on the spot"), max_length=5000, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = selectors.record_nodes(user)
        self.jurisdiction_id = self.nodes[0].jurisdiction_id if self.nodes else None
        self.buildings = {str(b.pk): b for b in selectors.buildings_for_recording(user)}
        self.compounds = {str(c.pk): c for c in selectors.compounds_for_recording(user)}
        self._choices("building", [(k, str(b)) for k, b in self.buildings.items()])
        self._choices("compound", [(k, c.name) for k, c in self.compounds.items()])
        self.categories: dict[str, CaseCategory] = {}
        groups: dict[str, list[tuple[str, str]]] = {}
        if self.jurisdiction_id is not None:
            leaves = case_selectors.categories_for(self.jurisdiction_id, leaves_only=True).select_related("parent")
            for c in leaves.order_by("parent__sort_order", "parent__code", "sort_order", "code"):
                self.categories[str(c.pk)] = c
                groups.setdefault(_label(c.parent) if c.parent else "", []).append((str(c.pk), _label(c)))
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Not sure — the dispatcher chooses")), *groups.get("", [])] + [
            (group, items) for group, items in groups.items() if group
        ]
        self.fields["reporter_phone"].widget.input_type = "tel"
        self.place_node: GridNode | None = None

    def _choices(self, name: str, items: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *items]

    def clean_category(self) -> CaseCategory | None:
        return self.categories.get(self.cleaned_data.get("category") or "")

    def clean_building(self) -> Building | None:
        return self.buildings.get(self.cleaned_data.get("building") or "")

    def clean_compound(self) -> Compound | None:
        return self.compounds.get(self.cleaned_data.get("compound") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("solved_on_the_spot") and not (data.get("result") or "").strip():
            self.add_error("result", _("Say what was done on the spot."))
        if data.get("channel") in (Channel.WALK_IN, Channel.PHONE) and not (
            (data.get("reporter_name") or "").strip() or (data.get("reporter_phone") or "").strip()
        ):
            self.add_error("reporter_name", _("Give the resident's name or phone for a request taken on their behalf."))
        self._place(data)
        return data

    def _place(self, data: dict[str, Any]) -> None:
        """Where: the building, else the compound, else the pin (which must fall inside the grid)."""
        building, compound = data.get("building"), data.get("compound")
        lat, lon = data.get("lat"), data.get("lon")
        if building is not None:
            data["compound"], data["lat"], data["lon"] = None, None, None
            self.place_node = building.node
            return
        data["lat"], data["lon"] = (lat, lon) if compound is None else (compound.lat, compound.lon)
        if compound is not None:
            self.place_node = compound.node
            return
        if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
            self.add_error(None, _("Say where: choose a building or a compound, or put a pin on the map."))
            return
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or self.jurisdiction_id is None:
            self.add_error(None, _("That location is not a place on Earth."))
            return
        found = location.locate(self.jurisdiction_id, lat, lon)
        self.place_node = grid_selectors.node(found.node_id) if found.node_id is not None else None
        if self.place_node is None:
            self.add_error(None, _("That place is outside the grid. Please put the pin where the problem is."))


# ------------------------------------------------------------------------------------------------------ filters


class CaseFilterForm(forms.Form):
    """The command centre's filters. Unknown values are dropped, never an error page."""

    q = forms.CharField(label=_("Text or tracking code"), max_length=100, required=False)
    status = forms.MultipleChoiceField(label=_("Status"), choices=Status.choices, required=False)
    sla_state = forms.MultipleChoiceField(label=_("Deadline"), choices=SlaState.choices, required=False)
    level = forms.MultipleChoiceField(label=_("Level"), choices=Level.choices, required=False)
    channel = forms.MultipleChoiceField(label=_("Channel"), choices=Channel.choices, required=False)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    department = forms.TypedChoiceField(label=_("Department"), coerce=int, required=False, empty_value=None)
    node = forms.TypedChoiceField(label=_("Area"), coerce=int, required=False, empty_value=None)
    date_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Submitted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    open_only = forms.BooleanField(label=_("Open cases only"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from gongzhi.grid import selectors as grid_selectors

        homes = grid_selectors.home_nodes(user)
        jurisdictions = {n.jurisdiction_id for n in homes}
        categories = (
            CaseCategory.objects.filter(jurisdiction_id__in=jurisdictions, active=True)
            .order_by("sort_order", "code")
            .values_list("pk", "name")
        )
        departments = (
            Department.objects.filter(jurisdiction_id__in=jurisdictions, active=True)
            .order_by("code")
            .values_list("pk", "name")
        )
        # The viewer's top nodes and two levels below them: enough to narrow a district list to a community.
        deepest = max((n.level_index for n in homes), default=0) + 2
        levels = [level for level in roles.LEVELS if roles.level_index(level) <= deepest]
        areas = (
            grid_selectors.grid_nodes_visible_to(user)
            .filter(level__in=levels)
            .order_by("path")
            .values_list("pk", "name")[:500]
        )
        self._set("category", list(categories))
        self._set("department", list(departments))
        self._set("node", list(areas))

    def _set(self, name: str, choices: list[tuple[int, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("any")), *choices]

    def choice_rows(self) -> list[dict[str, Any]]:
        """Each filter with its choices and what is selected, for a template that renders them cheaply by hand."""
        data = self.data if self.is_bound else {}
        rows = []
        for name in ("status", "sla_state", "level", "channel", "category", "department", "node"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            multiple = isinstance(field, forms.MultipleChoiceField)
            chosen = set(data.getlist(name)) if multiple and hasattr(data, "getlist") else {data.get(name, "")}
            rows.append(
                {
                    "name": name,
                    "label": field.label,
                    "multiple": multiple,
                    "choices": [(str(value), label, str(value) in chosen) for value, label in field.choices],
                }
            )
        return rows

    def filters(self) -> selectors.CaseFilters:
        if not self.is_bound:
            return selectors.CaseFilters()
        self.is_valid()
        data = dict(self.cleaned_data.items())
        return selectors.CaseFilters(
            status=data.get("status") or [],
            sla_state=data.get("sla_state") or [],
            level=data.get("level") or [],
            channel=data.get("channel") or [],
            category=data.get("category"),
            department=data.get("department"),
            node=data.get("node"),
            submitted_from=data.get("date_from"),
            submitted_to=data.get("date_to"),
            text=data.get("q") or "",
            open_only=bool(data.get("open_only")),
        )


def lookup_case(user: Any, code: str) -> Case | None:
    try:
        return case_selectors.case_list_visible_to(user).get(tracking_code=code.strip().upper())
    except (Case.DoesNotExist, NotFound):
        return None
