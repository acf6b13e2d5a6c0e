"""Forms of the lists pages: they parse input and offer only rows in the viewer's scope; the lists services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.grid import roles
from gongzhi.grid.models import Compound
from gongzhi.lists import selectors
from gongzhi.lists.choices import Category, Delivery, NeedSource, NeedStatus, ProjectStatus, ResourceKind


def _one_choice(form: forms.Form, communities: Any) -> None:
    """A person who keeps one community's lists finds it chosen."""
    if not form.is_bound and "node" not in form.initial:
        only = list(communities[:2])
        if len(only) == 1:
            form.initial["node"] = only[0].pk


class _NodeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _communities(user: Any) -> Any:
    return selectors.communities(user, roles.LISTS_MANAGE)


class NeedForm(forms.Form):
    node = _NodeChoice(label=_("Community"), queryset=None)
    compound = forms.ModelChoiceField(label=_("Compound (optional)"), queryset=None, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    source = forms.ChoiceField(label=_("Source"), choices=NeedSource.choices)
    households = forms.IntegerField(label=_("Households affected"), min_value=0, max_value=100_000, initial=1)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    note = forms.CharField(label=_("Note for the history (optional)"), max_length=500, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        communities = _communities(user)
        self.fields["node"].queryset = communities
        _one_choice(self, communities)
        condition = Q()
        for c in communities:
            condition |= Q(jurisdiction_id=c.jurisdiction_id, node__path__startswith=c.path)
        self.fields["compound"].queryset = (
            Compound.objects.filter(condition).order_by("name") if condition else Compound.objects.none()
        )


class NeedEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    households = forms.IntegerField(label=_("Households affected"), min_value=0, max_value=100_000)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class NeedActionForm(forms.Form):
    note = forms.CharField(label=_("Why"), max_length=500, required=False)


class ResourceForm(forms.Form):
    node = _NodeChoice(label=_("Community"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ResourceKind.choices)
    offer = forms.CharField(label=_("What they offer"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    phone = forms.CharField(label=_("Public phone"), max_length=40, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=60, required=False)
    contact_phone = forms.CharField(
        label=_("Contact person's mobile"),
        max_length=40,
        required=False,
        help_text=_("Personal: shown masked on every list and never to residents."),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    hours = forms.CharField(label=_("Opening hours"), max_length=200, required=False)
    agreement_signed = forms.DateField(
        label=_("Agreement signed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    agreement_expires = forms.DateField(
        label=_("Agreement expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    agreement_text = forms.CharField(
        label=_("Agreement with the community"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = _communities(user)
        _one_choice(self, self.fields["node"].queryset)


class _NeedChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title}（{obj.node.name} · {obj.get_status_display()}）"


class ProjectForm(forms.Form):
    node = _NodeChoice(label=_("Community"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=None)
    needs = _NeedChoices(
        label=_("Needs it answers"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    price = forms.DecimalField(
        label=_("Price (yuan)"), min_value=0, max_digits=10, decimal_places=2, initial=0, help_text=_("0 is free.")
    )
    eligibility = forms.CharField(label=_("Who may use it"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    schedule = forms.CharField(label=_("Schedule"), max_length=200, required=False)
    delivery = forms.ChoiceField(label=_("Where delivered"), choices=Delivery.choices)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=ProjectStatus.choices)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = _communities(user)
        _one_choice(self, self.fields["node"].queryset)
        self.fields["provider"].queryset = selectors.resources_visible_to(user).order_by("name")
        self.fields["needs"].queryset = (
            selectors.needs_visible_to(user).exclude(status=NeedStatus.CLOSED).order_by("title")
        )


class ListFilter(forms.Form):
    """The filters of a list: status, category or kind, community. Unknown values are a 400 (the view says so)."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    node = forms.ChoiceField(label=_("Community"), required=False)

    def __init__(self, *args: Any, user: Any, statuses: Any, categories: Any, category_label: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        every = [("", _("all"))]
        self.fields["status"].choices = every + list(statuses)
        self.fields["category"].choices = every + list(categories)
        self.fields["category"].label = category_label
        self.fields["node"].choices = every + [(str(c.pk), c.name) for c in selectors.communities(user)]
