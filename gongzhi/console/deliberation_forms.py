"""The forms of the console's deliberation pages (有事来协商, 通知公告): they check the shape of the input; the services
check the rest (scope, steps, dates) and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.console.forms import PhotosField
from gongzhi.core import photos
from gongzhi.deliberation.choices import Basis, EligibilitySource, MeetingKind, NoticeKind, ThresholdBase
from gongzhi.grid.models import Building, GridNode

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def node_label(node: GridNode) -> str:
    return f"{node.name} ({node.get_level_display()})"


class NodeField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return node_label(obj)


class TopicForm(forms.Form):
    node = NodeField(label=_("Where"), queryset=GridNode.objects.none())
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("What it is about"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))
    step_until = forms.DateField(label=_("Collect topics until"), required=False, widget=DATE)

    def __init__(self, *args: Any, nodes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["node"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = nodes


class FilterForm(forms.Form):
    step = forms.CharField(required=False)
    node = forms.IntegerField(required=False, min_value=1)


class MoveForm(forms.Form):
    to = forms.CharField(max_length=16)
    reason = forms.CharField(label=_("Why"), max_length=200, required=False)
    until = forms.DateField(label=_("Planned end of the step"), required=False, widget=DATE)


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class ResultForm(forms.Form):
    text = forms.CharField(label=_("Result"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    photos = PhotosField(label=_("Photos"), required=False, max_photos=photos.MAX_REPORT_PHOTOS)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    organisation = forms.CharField(
        label=_("Speaking for (业委会, 物业公司 …; empty: the community)"), max_length=100, required=False
    )


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Why hide it"), max_length=200)


class MeetingForm(forms.Form):
    node = NodeField(label=_("Where"), queryset=GridNode.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    agenda = forms.CharField(
        label=_("Agenda"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    starts = forms.DateTimeField(label=_("Starts"), widget=DATETIME, input_formats=DATETIME_FORMATS)
    ends = forms.DateTimeField(label=_("Ends"), widget=DATETIME, input_formats=DATETIME_FORMATS)
    capacity = forms.IntegerField(label=_("Places"), required=False, min_value=1, max_value=100_000)
    invited = forms.CharField(
        label=_("Invited stakeholders (one per line)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, nodes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["node"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = nodes


class CheckInForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    name = forms.CharField(label=_("Name (without a phone)"), max_length=64, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("phone") or "").strip() and not (data.get("name") or "").strip():
            raise forms.ValidationError(_("Give the phone number or, without one, the name."))
        return data


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))
    decisions = forms.CharField(
        label=_("Decisions"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RaiseCaseForm(forms.Form):
    title = forms.CharField(label=_("The problem in one line"), max_length=120)
    description = forms.CharField(
        label=_("What was said"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class VoteForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=200)
    options = forms.CharField(
        label=_("Options (one per line)"), max_length=1300, widget=forms.Textarea(attrs={"rows": 3})
    )
    basis = forms.ChoiceField(label=_("Who votes"), choices=Basis.choices)
    source = forms.ChoiceField(label=_("Who may vote comes from"), choices=EligibilitySource.choices)
    quorum = forms.CharField(label=_("Quorum (like 2/3 or 50%; 0: none)"), max_length=12, initial="0")
    threshold = forms.CharField(label=_("Threshold (like 1/2 or 2/3)"), max_length=12, initial="1/2")
    threshold_base = forms.ChoiceField(label=_("Threshold of"), choices=ThresholdBase.choices)
    strict = forms.BooleanField(label=_("More than the threshold (not just reaching it)"), required=False)
    opens_at = forms.DateTimeField(label=_("Opens"), widget=DATETIME, input_formats=DATETIME_FORMATS)
    closes_at = forms.DateTimeField(label=_("Closes"), widget=DATETIME, input_formats=DATETIME_FORMATS)

    def clean_options(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["options"].splitlines()]
        return [line for line in lines if line]


class EligibleListForm(forms.Form):
    file = forms.FileField(label=_("Excel list (.xlsx): 编号, 房号/标签, 面积, 手机"))


class DeskFindForm(forms.Form):
    q = forms.CharField(label=_("Door (房号)"), max_length=64)


class DeskCastForm(forms.Form):
    eligible = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    option = forms.IntegerField(min_value=1)
    note = forms.CharField(label=_("Note (who told you, how)"), max_length=200)


class NoticeForm(forms.Form):
    node = NodeField(label=_("Where"), queryset=GridNode.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=NoticeKind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))
    urgent = forms.BooleanField(label=_("Urgent"), required=False)
    expires_at = forms.DateTimeField(label=_("Expires"), widget=DATETIME, input_formats=DATETIME_FORMATS)
    buildings = forms.ModelMultipleChoiceField(
        label=_("Only these buildings (none chosen: every building there)"),
        queryset=Building.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args: Any, nodes: Any, buildings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["node"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = nodes
        chosen = self.fields["buildings"]
        assert isinstance(chosen, forms.ModelMultipleChoiceField)
        chosen.queryset = buildings
