"""我的代办: a volunteer's errands (issue: volunteers run light cases), with the phone login that identifies them
(``people_views``). Each errand: what and where (the summary the console wrote: category and place), the community,
the note of the staff member who offered it, and the handler's public card (三亮: name, title and the public work phone
of their post, if it has one) — never the resident's name or phone. Accept, decline, and done with what they did:
done finishes the errand (``volunteers.services.finish_errand``) and tells the case (``cases.services.
errand_reported``: the event on its timeline, the handler notified) in one transaction, or neither.

Another volunteer's errand, a forged or an overlong id are the same 404; a step the errand's state forbids is a 409
page; an empty result a 400; nothing is written on a refusal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gongzhi.cases import selectors as case_selectors
from gongzhi.cases import services as case_services
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.portal import people_views, selectors
from gongzhi.volunteers import selectors as people
from gongzhi.volunteers import services as people_services
from gongzhi.volunteers.choices import ErrandStatus
from gongzhi.volunteers.models import Errand, Volunteer

MAX_ROWS = 100
ACTIONS = ("accept", "decline", "done")


class DoneForm(forms.Form):
    result = forms.CharField(
        label=gettext_lazy("What you did"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    hours = forms.DecimalField(
        label=gettext_lazy("Hours it took (optional: submitted as service hours)"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(24),
        decimal_places=2,
        # The browser's own check: any number of hundredths from the minimum (a step of 0.5 from 0.01 refused 1.5).
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def _handler_card(errand: Errand) -> Any:
    """The public card of the staff member handling the errand's case (None when the post shows none)."""
    case = case_selectors.case_by_tracking_code(errand.tracking_code)
    if case is None or case.pk != errand.case_id:
        return None
    found = selectors.handler(case)
    return found.card if found is not None else None


@never_cache
@require_GET
def errands(request: HttpRequest) -> HttpResponse:
    here = reverse("portal:people_errands")
    login, number = people_views._login(request)
    if login is None:
        return redirect(people_views._login_url(here))
    me = people_views._volunteer(request, number)
    rows = []
    if me is not None:
        for errand in people.errands_of(me)[:MAX_ROWS]:
            live = errand.status in people_services.ERRAND_OPEN
            # One form per errand, with ids of its own (two errands running: two result fields on the page).
            form = DoneForm(auto_id=f"errand-{errand.pk}-%s") if errand.status == ErrandStatus.ACCEPTED else None
            rows.append({"errand": errand, "card": _handler_card(errand) if live else None, "form": form})
    context = {"login": login, "volunteer": me, "rows": rows, "done": request.GET.get("done", "")}
    return people_views._render(request, "errands.html", context)


@transaction.atomic
def finish(*, errand: Errand, volunteer: Volunteer, result: str, hours: Decimal | None = None) -> Errand:
    """The errand done (its hours submitted, when given) and the case told, in one transaction."""
    finished = people_services.finish_errand(errand=errand, volunteer=volunteer, result=result, hours=hours)
    case_services.errand_reported(case=finished.case_id, volunteer_ref=volunteer.pk, result=finished.result)
    return finished


@never_cache
@require_POST
def errand_act(request: HttpRequest, errand_id: str, action: str) -> HttpResponse:
    back = reverse("portal:people_errands")
    login, number = people_views._login(request)
    if login is None:
        return people_views._needs_login(request, back)
    me = people_views._volunteer(request, number)
    if me is None or action not in ACTIONS:
        return people_views._not_found(request)
    try:
        errand = people.errand_of(me, errand_id)
    except NotFound:
        return people_views._not_found(request)
    wait = people_views._throttled("people-errand", login["index"])
    if wait:
        return people_views._too_many(request, wait, back)
    title = _("Not changed")
    try:
        if action == "accept":
            people_services.accept_errand(errand=errand, volunteer=me)
        elif action == "decline":
            people_services.decline_errand(errand=errand, volunteer=me)
        else:
            form = DoneForm(request.POST)
            if not form.is_valid():
                return people_views._refused(
                    request,
                    title,
                    _("Say what you did (at most 1000 characters), and the hours as a number from 0.01 to 24."),
                    status=400,
                    back=back,
                )
            finish(errand=errand, volunteer=me, result=form.cleaned_data["result"], hours=form.cleaned_data["hours"])
    except DomainError as exc:
        return people_views._refused(request, title, exc.message, status=exc.http_status, back=back)
    done = {"accept": ErrandStatus.ACCEPTED, "decline": ErrandStatus.DECLINED, "done": ErrandStatus.DONE}[action]
    return HttpResponseRedirect(back + f"?done={done}", status=303)
