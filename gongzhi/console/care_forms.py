"""Forms of the console's care pages (the care registry, DESIGN.md §5 "Care"): the search box, opening a full record
with a purpose, a manager's changes to a resident (level, groups, phone, moving out, consent, export and erasure on
request), a new household and a new resident, a visit (with the case it files), and the access log's filters.

Forms check shapes (a choice offered, a date, a length); ``care.services`` and ``cases.services`` decide, and their
refusals come back on the form. No personal data is put in a form's initial values: a page never carries a clear
name, ID number or phone it did not open through ``care.services.read_full``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.care.choices import Access, Assistance, ConsentPurpose, Level, Outcome, Purpose, Relation
from gongzhi.care.models import CareGroup
from gongzhi.cases.models import CaseCategory
from gongzhi.console.forms import PhotosField
from gongzhi.core import photos
from gongzhi.grid.models import Building, GridNode


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Full name, ID number, phone or #ledger number"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "enterkeyhint": "search"}),
    )


class OpenForm(forms.Form):
    """Why the full record is opened (logged with the read)."""

    purpose = forms.ChoiceField(label=_("Why do you open the full record?"), choices=[("", "—"), *Purpose.choices])
    detail = forms.CharField(label=_("Detail (optional)"), max_length=200, required=False)


class LevelForm(forms.Form):
    level = forms.ChoiceField(label=_("Care level"), choices=[("", _("not in care")), *Level.choices], required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class GroupsForm(forms.Form):
    groups = forms.ModelMultipleChoiceField(
        label=_("Care groups"), queryset=CareGroup.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, jurisdiction_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["groups"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = CareGroup.objects.filter(jurisdiction_id=jurisdiction_id, active=True)


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("New phone number (blank: none)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )


class MoveOutForm(forms.Form):
    on = forms.DateField(label=_("Moved out on"), widget=_date_input())


class MoveInForm(forms.Form):
    household = forms.CharField(
        label=_("Ledger number of the household"),
        max_length=33,
        help_text=_("The household they move into (back into, or from another household of the registry)."),
    )
    on = forms.DateField(label=_("Moved in on"), widget=_date_input())
    relation = forms.ChoiceField(
        label=_("Relation to the household head"), choices=[("", "—"), *Relation.choices], required=False
    )


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Consent to"), choices=ConsentPurpose.choices)
    given = forms.TypedChoiceField(
        label=_("The resident"),
        choices=[("1", _("gives consent")), ("0", _("withdraws or refuses consent"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("How it was given (signed form, in person …)"), max_length=200)


class ExportOwnForm(forms.Form):
    detail = forms.CharField(label=_("Request reference (optional)"), max_length=200, required=False)


class EraseForm(forms.Form):
    reason = forms.CharField(label=_("Reason (the resident's request)"), max_length=200)
    confirm = forms.BooleanField(
        label=_("I understand: the name, ID number, phone, visit findings and photos are deleted for good.")
    )


class HouseholdForm(forms.Form):
    """A household at a door of a building, or at an address under a grid node."""

    building = forms.ChoiceField(label=_("Building"), required=False)
    node = forms.ChoiceField(label=_("Or the grid node (a door without a building)"), required=False)
    code = forms.CharField(label=_("Ledger number"), max_length=32)
    room = forms.CharField(label=_("Unit and room (e.g. 3单元502)"), max_length=32, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )

    def __init__(self, *args: Any, buildings: list[Building], nodes: list[GridNode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.buildings = {str(b.pk): b for b in buildings}
        self.nodes = {str(n.pk): n for n in nodes}
        building_field = self.fields["building"]
        node_field = self.fields["node"]
        assert isinstance(building_field, forms.ChoiceField) and isinstance(node_field, forms.ChoiceField)
        building_field.choices = [("", "—"), *[(k, f"{b.name}（{b.node.name}）") for k, b in self.buildings.items()]]
        node_field.choices = [("", "—"), *[(k, n.name) for k, n in self.nodes.items()]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["building"] = self.buildings.get(str(data.get("building") or ""))
        data["node"] = self.nodes.get(str(data.get("node") or ""))
        if data["building"] is None and data["node"] is None:
            self.add_error("building", _("Choose the building, or the grid node for a door without a building."))
        if data["building"] is None and data["node"] is not None and not (data.get("address") or "").strip():
            self.add_error("address", _("Give the address of a door without a building."))
        return data


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    id_number = forms.CharField(
        label=_("ID number"), max_length=24, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    relation = forms.ChoiceField(
        label=_("Relation to the head"), choices=[("", "—"), *Relation.choices], required=False
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Care groups"), queryset=CareGroup.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    level = forms.ChoiceField(label=_("Care level"), choices=[("", _("not in care")), *Level.choices], required=False)
    level_reason = forms.CharField(label=_("Why this level"), max_length=200, required=False)

    def __init__(self, *args: Any, jurisdiction_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["groups"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = CareGroup.objects.filter(jurisdiction_id=jurisdiction_id, active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("level") and not (data.get("level_reason") or "").strip():
            self.add_error("level_reason", _("Say why the resident is at this care level."))
        return data


class VisitForm(forms.Form):
    """A visit: what it found, and for a problem or an assistance application, the case it files."""

    outcome = forms.ChoiceField(label=_("What did the visit find?"), choices=Outcome.choices, widget=forms.RadioSelect)
    findings = forms.CharField(
        label=_("Findings"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    photos = PhotosField(label=_("Photos"), required=False, max_photos=photos.MAX_REPORT_PHOTOS)
    title = forms.CharField(label=_("The problem in one line"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("Type of problem"), required=False)
    assistance = forms.ChoiceField(
        label=_("Assistance applied for"), choices=[("", "—"), *Assistance.choices], required=False
    )

    def __init__(self, *args: Any, categories: list[CaseCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {str(c.pk): c for c in categories}
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", _("Not sure — the dispatcher chooses")),
            *[(k, c.name) for k, c in self.categories.items()],
        ]

    def clean_category(self) -> CaseCategory | None:
        return self.categories.get(self.cleaned_data.get("category") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        outcome = data.get("outcome")
        if outcome and outcome != Outcome.WELL and not (data.get("findings") or "").strip():
            self.add_error("findings", _("Say what the visit found."))
        if outcome == Outcome.PROBLEM and not (data.get("title") or "").strip():
            self.add_error("title", _("Give the problem in one line: it is filed as a case."))
        if outcome == Outcome.NEEDS_HELP and not data.get("assistance"):
            self.add_error("assistance", _("Say which assistance is applied for."))
        return data


class AccessLogForm(forms.Form):
    user = forms.ChoiceField(label=_("Who"), required=False)
    action = forms.ChoiceField(label=_("What"), choices=[("", _("all")), *Access.choices], required=False)
    first = forms.DateField(label=_("From"), required=False, widget=_date_input())
    last = forms.DateField(label=_("To"), required=False, widget=_date_input())

    def __init__(self, *args: Any, users: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("everyone")), *[(str(pk), label) for pk, label in users]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first: date | None = data.get("first")
        last: date | None = data.get("last")
        if first and last and first > last:
            self.add_error("last", _("The last day comes before the first."))
        return data
