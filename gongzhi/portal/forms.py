"""Forms of the resident pages. They check input; the case services decide what happens."""

from __future__ import annotations

import math
import re
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from gongzhi.cases import selectors as case_selectors
from gongzhi.cases.choices import Score
from gongzhi.cases.models import CaseCategory
from gongzhi.core.errors import DomainError
from gongzhi.grid import location
from gongzhi.grid.models import Building, Jurisdiction
from gongzhi.portal import phone_login

MAX_TEXT = 2000
TITLE_LENGTH = 40


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def category_label(category: CaseCategory) -> str:
    if (get_language() or "").startswith("en") and category.name_en:
        return category.name_en
    return category.name


def category_choices(jurisdiction: Jurisdiction) -> list[Any]:
    """Leaf categories grouped under their parent, for a plain <select> with <optgroup>s."""
    leaves = case_selectors.categories_for(jurisdiction.pk, leaves_only=True).select_related("parent")
    groups: dict[str, list[tuple[str, str]]] = {}
    loose: list[tuple[str, str]] = []
    for category in leaves.order_by("parent__sort_order", "parent__code", "sort_order", "code"):
        item = (category.code, category_label(category))
        if category.parent is not None:
            groups.setdefault(category_label(category.parent), []).append(item)
        else:
            loose.append(item)
    return [("", _("Not sure — staff will choose")), *loose, *groups.items()]


def title_from(text: str) -> str:
    """A short title from the resident's own words: the first line, at most TITLE_LENGTH characters."""
    first = re.sub(r"\s+", " ", text.strip().splitlines()[0] if text.strip() else "").strip()
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "…"


class ReportForm(forms.Form):
    description = forms.CharField(
        label=_("What is the problem?"),
        help_text=_("Describe what you see and where, e.g. “the light on the 3rd floor stairs is out”."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT,
    )
    category = forms.ChoiceField(label=_("Type of problem"), required=False)
    address = forms.CharField(
        label=_("Exact spot (optional)"),
        help_text=_("e.g. unit 2, 3rd floor; next to the bicycle shed"),
        required=False,
        max_length=200,
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=64)
    phone = forms.CharField(
        label=_("Mobile phone (optional)"),
        help_text=_("We send the tracking code and updates by text message. Shown to staff only, never in public."),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    anonymous = forms.BooleanField(
        label=_("Report anonymously (staff will not see your name)"),
        required=False,
    )

    def __init__(self, *args: Any, jurisdiction: Jurisdiction, building: Building | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.jurisdiction = jurisdiction
        self.building = building
        self.fields["category"].choices = category_choices(jurisdiction)
        self.located_node_id: int | None = None

    def clean_description(self) -> str:
        text = self.cleaned_data["description"].strip()
        if len(text) < 4:
            raise forms.ValidationError(_("Please describe the problem in a few words."))
        return text

    def clean_category(self) -> CaseCategory | None:
        code = self.cleaned_data.get("category") or ""
        if not code:
            return None
        found = case_selectors.categories_for(self.jurisdiction.pk, leaves_only=True).filter(code=code).first()
        if found is None:
            raise forms.ValidationError(_("Choose a type from the list."))
        return found

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "").strip()
        if not phone:
            return ""
        try:
            return phone_login.normalise(phone)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("anonymous"):
            data["name"] = ""
        if self.building is not None:
            return data  # the QR code says where
        lat, lon = data.get("lat"), data.get("lon")
        if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
            raise forms.ValidationError(
                _("Tell us where the problem is: use your phone's location or put a pin on the map."),
                code="no_location",
            )
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise forms.ValidationError(_("That location is not a place on Earth."), code="bad_location")
        found = location.locate(self.jurisdiction.pk, lat, lon)
        if found.node_id is None:
            raise forms.ValidationError(
                _("That place is outside the area we serve. Please put the pin where the problem is."),
                code="outside",
            )
        self.located_node_id = found.node_id
        return data


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        return re.sub(r"[\s-]+", "", self.cleaned_data["code"]).upper()


class RatingForm(forms.Form):
    score = forms.ChoiceField(label=_("How satisfied are you?"), choices=Score.choices, widget=forms.RadioSelect)
    solved = forms.TypedChoiceField(
        label=_("Is the problem solved?"),
        choices=[("yes", _("Yes, it is solved")), ("no", _("No, not solved"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        try:
            return phone_login.normalise(self.cleaned_data["phone"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


class CodeForm(PhoneForm):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class AddInfoForm(forms.Form):
    """The reporter adds to their open request: more words, more photos (the photos are checked by the view)."""

    text = forms.CharField(
        label=_("What would you like to add?"),
        help_text=_("For example: when it happens, what changed, a better description of the place."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


WITHDRAW_REASONS = [
    ("solved", _("It was solved another way")),
    ("not_needed", _("I no longer need it")),
    ("mistake", _("I sent it by mistake")),
    ("other", _("Another reason")),
]


class WithdrawForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why do you withdraw it?"), choices=WITHDRAW_REASONS, widget=forms.RadioSelect)
    details = forms.CharField(
        label=_("Anything to add? (optional)"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == "other" and not (data.get("details") or "").strip():
            self.add_error("details", _("Please say why."))
        return data

    def note(self) -> str:
        """The reason as staff read it: the choice in words, then the resident's own."""
        label = str(dict(WITHDRAW_REASONS)[self.cleaned_data["reason"]])
        details = self.cleaned_data.get("details", "").strip()
        return _("%(reason)s: %(details)s") % {"reason": label, "details": details} if details else label
