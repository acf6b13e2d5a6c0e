"""The console's side of 代办 by volunteers: on a case page, the handler asks a volunteer reported in to the case's
community to run its light errand (``errand_flows.give_errand``), and takes one back (``volunteers.services.
withdraw_errand``). Thin: the case is read in the viewer's scope (404 outside it); the services refuse — the page
comes back with the reason and the refusal's status, and nothing is written."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gongzhi.cases import selectors as case_selectors
from gongzhi.cases.models import Case
from gongzhi.console import case_views, errand_flows
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http import parse_id
from gongzhi.volunteers import services as people_services
from gongzhi.volunteers.models import Errand


class ErrandForm(forms.Form):
    volunteer = forms.TypedChoiceField(label=gettext_lazy("Volunteer"), coerce=int)
    note = forms.CharField(
        label=gettext_lazy("Note for the volunteer (what to buy, fetch or pay; no resident's details)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, choices: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["volunteer"].choices = choices  # type: ignore[attr-defined]


def _case(request: HttpRequest, case_id: int) -> Case:
    try:
        return case_selectors.case_for(request.user, case_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _page(request: HttpRequest, case: Case, message: str, status: int) -> HttpResponse:
    messages.error(request, _("The action was refused: %(reason)s") % {"reason": message})
    return render(request, "console/case.html", case_views._case_context(request, case), status=status)


@login_required
@require_POST
def give(request: HttpRequest, case_id: int) -> HttpResponse:
    """请志愿者代办: offer the errand to the chosen volunteer and record it on the case."""
    case = _case(request, case_id)
    form = ErrandForm(request.POST, choices=errand_flows.volunteer_choices(case))
    if not form.is_valid():
        return _page(request, case, _("Choose a volunteer reported in to the community."), 400)
    try:
        errand_flows.give_errand(
            case=case, actor=request.user, volunteer_id=form.cleaned_data["volunteer"], note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        return _page(request, case, exc.message, exc.http_status)
    messages.success(request, _("The errand is offered to the volunteer; you stay the case's handler."))
    return redirect("console:case", case_id=case.pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, case_id: int, errand_id: str) -> HttpResponse:
    """Take an errand back before it is done."""
    case = _case(request, case_id)
    pk = parse_id(errand_id)
    errand = Errand.objects.filter(pk=pk, case_id=case.pk).first() if pk is not None else None
    if errand is None:
        raise Http404(_("No such errand."))
    try:
        people_services.withdraw_errand(errand=errand, actor=request.user)
    except DomainError as exc:
        return _page(request, case, exc.message, exc.http_status)
    messages.success(request, _("The errand is withdrawn."))
    return redirect("console:case", case_id=case.pk)
