"""The leader's "take this on at my contact point" box on a case page and a need page (issue 28)."""

from __future__ import annotations

from typing import Any

from django import template

from gongzhi.core import timeutil
from gongzhi.volunteers import selectors
from gongzhi.volunteers.models import TakenOn

register = template.Library()


@register.inclusion_tag("console/people/_take_on.html", takes_context=True)
def take_on_box(context: Any, kind: str, ref_id: int) -> dict[str, Any]:
    """The viewer's contact points of this year, each with a button to take the case (or need) on there; the points
    it is taken on at already are named instead."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"points": []}
    points = list(selectors.contact_points_of(user, year=timeutil.local_today().year))
    taken = list(
        TakenOn.objects.filter(contact_point__in=points, kind=kind, ref_id=ref_id).select_related("contact_point")
    )
    return {
        "points": points,
        "taken": taken,
        "taken_points": {t.contact_point_id for t in taken},
        "kind": kind,
        "ref_id": ref_id,
        "csrf_token": context.get("csrf_token"),
    }
