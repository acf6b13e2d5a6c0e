"""Forms of the residents' deliberation pages (议事): propose a topic, comment, register for a meeting, vote. They
check input; ``deliberation.services`` decide what happens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_COMMENT = 2000
MAX_BODY = 4000
MAX_TITLE = 120


class ProposeForm(forms.Form):
    """A residents' proposal: a title, what it is about, and where (the resident's building's grid or a community)."""

    title = forms.CharField(
        label=_("Topic"),
        help_text=_("In a few words, e.g. “install a lift in building 3”."),
        max_length=MAX_TITLE,
    )
    body = forms.CharField(
        label=_("What is it about?"),
        help_text=_("What should be decided together, and why. Do not write anyone's phone number or ID number."),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    node = forms.TypedChoiceField(label=_("For the residents of"), coerce=int)

    def __init__(self, *args: Any, places: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = places
        if places and "node" not in self.initial:
            self.initial["node"] = places[0][0]


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        help_text=_("Shown to everyone as “resident” (or the resident of your building) — never your number."),
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RegisterForm(forms.Form):
    name = forms.CharField(
        label=_("Your name (optional)"),
        help_text=_("Only the staff at the door see it."),
        required=False,
        max_length=64,
    )


class VoteForm(forms.Form):
    option = forms.TypedChoiceField(label=_("Your choice"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args: Any, options: tuple[tuple[int, str], ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = list(options)
