"""The case page's 代办 box: the case's errands (status, masked volunteer) and, for its handler, the form that asks a
volunteer reported in to the community to run it (``console.errand_flows``)."""

from __future__ import annotations

from typing import Any

from django import template

from gongzhi.console import errand_flows
from gongzhi.console.errand_views import ErrandForm
from gongzhi.volunteers.services import ERRAND_OPEN

register = template.Library()


@register.inclusion_tag("console/includes/case_errands.html", takes_context=True)
def case_errands_box(context: Any, case: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    errands = errand_flows.case_errands(case)
    form = None
    if user is not None and errand_flows.may_give(user, case):
        form = ErrandForm(choices=errand_flows.volunteer_choices(case))
    return {
        "case": case,
        "errands": errands,
        "open_statuses": [str(s) for s in ERRAND_OPEN],
        "form": form,
        "csrf_token": context.get("csrf_token"),
    }
