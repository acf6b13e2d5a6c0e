"""Forms of the residents' pages of the people of the grid: become a steward, a volunteer's profile, reporting in to a
community, hours outside an activity. They check input; ``volunteers.services`` decide what happens."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.core import timeutil
from gongzhi.volunteers.choices import Occupation, StewardKind


class StewardForm(forms.Form):
    node = forms.TypedChoiceField(label=_("Micro-grid you would serve"), coerce=int)
    kind = forms.ChoiceField(label=_("As"), choices=StewardKind.choices, widget=forms.RadioSelect)
    occupation = forms.ChoiceField(
        label=_("Occupation"),
        choices=Occupation.choices,
        help_text=_("Students, couriers and delivery riders serve as part-time stewards: they report what they see."),
    )
    name = forms.CharField(label=_("Your name"), max_length=64)
    why = forms.CharField(
        label=_("Why do you want to serve?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )
    availability = forms.CharField(
        label=_("When can you help?"), max_length=200, help_text=_("e.g. weekday mornings, weekends")
    )
    party_member = forms.BooleanField(label=_("I am a party member"), required=False)

    def __init__(self, *args: Any, nodes: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = nodes
        self.initial.setdefault("kind", StewardKind.STEWARD)
        self.initial.setdefault("occupation", Occupation.RESIDENT)
        if len(nodes) == 1:
            self.initial.setdefault("node", nodes[0][0])


class VolunteerForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=64)
    skills = forms.CharField(
        label=_("Skills"), required=False, max_length=200, help_text=_("e.g. first aid, repairs, teaching, driving")
    )
    availability = forms.CharField(label=_("When can you help?"), required=False, max_length=200)
    party_member = forms.BooleanField(label=_("I am a party member"), required=False)
    work_unit = forms.CharField(
        label=_("Work unit (a party member in service)"),
        required=False,
        max_length=100,
        help_text=_("Where you work, if you report in to your home community as an in-service party member."),
    )
    home = forms.TypedChoiceField(label=_("Home community"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, communities: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["home"].choices = [("", _("— not in this district —")), *communities]


class ReportInForm(forms.Form):
    community = forms.TypedChoiceField(label=_("Community you report in to"), coerce=int)

    def __init__(self, *args: Any, communities: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = communities


class HoursForm(forms.Form):
    community = forms.TypedChoiceField(label=_("Community"), coerce=int)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(
        label=_("Hours served"),
        min_value=Decimal("0.01"),
        max_value=Decimal(24),
        max_digits=4,
        decimal_places=2,
        help_text=_("More than 0 and at most 24, e.g. 2 or 1.5."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    description = forms.CharField(label=_("What did you do?"), max_length=200)

    def __init__(self, *args: Any, communities: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = communities

    def clean_day(self) -> Any:
        day = self.cleaned_data["day"]
        if day > timeutil.local_today():
            raise forms.ValidationError(_("Hours are submitted once the service is done."))
        return day
