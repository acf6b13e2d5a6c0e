"""The reporter's own actions on the tracking page (add information, withdraw), for the reporter only.

Rendered by ``portal/track_reporter_actions.html``, which the tracking page includes: it needs nothing from the
tracking view but ``request`` and ``case``, and decides itself whether the viewer is the reporter."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from gongzhi.cases import services as case_services
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import EventKind
from gongzhi.portal import reporter, selectors
from gongzhi.portal.forms import AddInfoForm, WithdrawForm

register = template.Library()


@register.inclusion_tag("portal/reporter_actions.html", takes_context=True)
def reporter_actions(context: template.Context) -> dict[str, Any]:
    request, case = context.get("request"), context.get("case")
    if request is None or case is None or not reporter.is_reporter(request, case):
        return {"show": False}
    events = selectors.reporter_events(case)
    return {
        "show": True,
        "case": case,
        "open": case.status in t.OPEN,
        "added": [e for e in events if e.kind == EventKind.INFO_ADDED],
        "withdrawn": next((e for e in events if e.kind == EventKind.WITHDRAWN), None),
        "may_withdraw": case.status in t.OPEN and not case.duplicate_count,
        "done": request.GET.get("done", ""),
        "add_form": AddInfoForm(),
        "withdraw_form": WithdrawForm(),
        "max_photos": case_services.MAX_INFO_PHOTOS,
        "max_photo_mb": settings.GONGZHI_PHOTO_MAX_MB,
        "csrf_token": context.get("csrf_token"),
    }
