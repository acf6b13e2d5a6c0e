"""Forms of the console's people pages (issue 28): vetting, appointment, a steward's commitments, training and
stepping down, decisions on report-ins and hours, teams, activities, party units, compound heads and leaders'
contact points. Forms check the shape of the input; ``volunteers.services`` decides and refuses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.console.station_forms import _clock
from gongzhi.stations.choices import Weekday
from gongzhi.volunteers.choices import ContactKind, HeadTitle, PartyLevel, ProblemKind

DECISIONS = (("approve", _("Approve")), ("refuse", _("Refuse")))


class DecisionForm(forms.Form):
    """A yes or no with the reason (required to refuse)."""

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why it is refused."))
        return data

    @property
    def approved(self) -> bool:
        return self.cleaned_data.get("decision") == "approve"


class VetForm(DecisionForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class AppointForm(forms.Form):
    username = forms.RegexField(
        label=_("User name"),
        regex=r"^[A-Za-z0-9_.@+-]{3,30}$",
        max_length=30,
        help_text=_("Letters and digits, such as gj1024: the new steward logs in with it."),
    )
    public_phone = forms.CharField(label=_("Public work phone (optional)"), max_length=32, required=False)
    visits_per_month = forms.IntegerField(label=_("Visits a month"), min_value=0, max_value=200, initial=4)
    hours_per_month = forms.IntegerField(label=_("Hours a month"), min_value=0, max_value=300, initial=0)
    station_duty = forms.CharField(label=_("Station duty (rota)"), max_length=200, required=False)


class CommitmentsForm(forms.Form):
    visits_per_month = forms.IntegerField(label=_("Visits a month"), min_value=0, max_value=200)
    hours_per_month = forms.IntegerField(label=_("Hours a month"), min_value=0, max_value=300)
    station_duty = forms.CharField(label=_("Station duty (rota)"), max_length=200, required=False)


class StewardShiftForm(forms.Form):
    """A shift of the steward on the rota of a station of their community (``stations.services.add_shift`` decides)."""

    station = forms.TypedChoiceField(label=_("Station"), coerce=int)
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=Weekday.choices, coerce=int)
    starts = forms.CharField(label=_("From"), max_length=5, widget=forms.TextInput(attrs={"placeholder": "8:30"}))
    ends = forms.CharField(
        label=_("Until"),
        max_length=5,
        widget=forms.TextInput(attrs={"placeholder": "12:00"}),
        help_text=_("A shift that ends before it starts runs past midnight."),
    )

    def __init__(self, *args: Any, stations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stations = {s.pk: s for s in stations}
        field = self.fields["station"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(s.pk, s.name) for s in stations]

    def clean_station(self) -> Any:
        station = self.stations.get(self.cleaned_data.get("station", 0))
        if station is None:
            raise forms.ValidationError(_("Choose a station of the steward's community."))
        return station

    def clean_starts(self) -> Any:
        return _clock(self.cleaned_data.get("starts", ""))

    def clean_ends(self) -> Any:
        return _clock(self.cleaned_data.get("ends", ""))


class TrainingForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    topic = forms.CharField(label=_("Topic"), max_length=200)
    hours = forms.CharField(label=_("Hours"), max_length=8)


class StepDownForm(forms.Form):
    reason = forms.CharField(label=_("Why they step down"), max_length=200)


class NodeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class TeamForm(forms.Form):
    community = NodeChoice(label=_("Community"), queryset=None)
    name = forms.CharField(label=_("Team name"), max_length=100)

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class MembersForm(forms.Form):
    members = forms.ModelMultipleChoiceField(
        label=_("Members"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, volunteers: Any, labels: dict[int, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        field.queryset = volunteers
        field.label_from_instance = lambda obj: labels.get(obj.pk, f"#{obj.pk}")


class ActivityForm(forms.Form):
    node = NodeChoice(label=_("Community"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=120)
    place = forms.CharField(label=_("Place"), max_length=200)
    starts = forms.DateTimeField(label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends = forms.DateTimeField(label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=10_000)
    skills = forms.CharField(label=_("Skills wanted"), max_length=200, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)
    description = forms.CharField(label=_("Description"), max_length=2000, required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, communities: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = communities
        self.fields["team"].queryset = teams

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("An activity ends after it starts."))
        return data


class PartyUnitForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=PartyLevel.choices)
    parent = forms.ModelChoiceField(label=_("Under"), queryset=None, required=False)
    node = NodeChoice(label=_("Grid node"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=100)
    leader_name = forms.CharField(label=_("Secretary or leader"), max_length=64, required=False)
    leader_phone = forms.CharField(label=_("Public phone"), max_length=32, required=False)
    members = forms.IntegerField(label=_("Party members"), min_value=0, max_value=100_000, initial=0)
    public = forms.BooleanField(label=_("Shown to residents"), required=False, initial=True)

    def __init__(self, *args: Any, nodes: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = nodes
        self.fields["parent"].queryset = units


class HeadForm(forms.Form):
    node = NodeChoice(label=_("Grid node"), queryset=None)
    title = forms.ChoiceField(label=_("Title"), choices=HeadTitle.choices)
    name = forms.CharField(label=_("Name"), max_length=64)
    position = forms.CharField(label=_("Position"), max_length=100, required=False)
    public_phone = forms.CharField(label=_("Public phone"), max_length=32, required=False)

    def __init__(self, *args: Any, nodes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = nodes


class LeaderChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.get_username()})"


class ContactPointForm(forms.Form):
    leader = LeaderChoice(label=_("Leader"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    node = NodeChoice(label=_("Street, village or community"), queryset=None, required=False)
    name = forms.CharField(label=_("Enterprise name"), max_length=100, required=False)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    target = forms.IntegerField(label=_("Problems to solve"), min_value=1, max_value=20, initial=3)

    def __init__(self, *args: Any, leaders: Any, nodes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders
        self.fields["node"].queryset = nodes


class TakeOnForm(forms.Form):
    contact_point = forms.IntegerField(min_value=1)
    kind = forms.ChoiceField(choices=ProblemKind.choices)
    ref_id = forms.IntegerField(min_value=1)
