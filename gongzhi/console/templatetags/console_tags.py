"""Small display helpers for case lists: deadline colours, who handles a case."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases import transitions as t
from gongzhi.cases.choices import SlaState
from gongzhi.console.selectors import NEAR_BREACH

register = template.Library()


@register.filter
def deadline_state(case: Any) -> str:
    """on_track, warning, breached, paused or done — the stored state, corrected by the clock for open cases.

    The sweep moves ``sla_state`` every few minutes; a list must not show a case as on track the minute after its
    deadline passed, so an open case past its deadline is breached and one within NEAR_BREACH is a warning.
    """
    if case.status not in t.OPEN:
        return SlaState.DONE
    if case.status == t.ON_HOLD:
        return SlaState.PAUSED
    state = case.sla_state
    due = case.resolve_due
    if due is not None:
        now = timezone.now()
        if due <= now:
            return SlaState.BREACHED
        if state == SlaState.ON_TRACK and due - now <= NEAR_BREACH:
            return SlaState.WARNING
    return state if state in SlaState.values else SlaState.ON_TRACK


@register.filter
def deadline_label(case: Any) -> str:
    return str(SlaState(deadline_state(case)).label)


@register.filter
def handler_label(case: Any) -> str:
    if case.handler_user_id:
        return str(case.handler_user)
    if case.handler_department_id:
        return case.handler_department.name
    if case.handler_node_id:
        if case.pooled:
            return _("%(unit)s (stewards' pool)") % {"unit": case.handler_node.name}
        return case.handler_node.name
    return "—"


@register.filter
def status_label(value: str) -> str:
    from gongzhi.cases.choices import Status

    return str(Status(value).label) if value in Status.values else value


@register.filter
def percent(value: float | None) -> str:
    """A fraction (0.6667) as a whole percentage ("67%"); — when undefined."""
    return "—" if value is None else f"{round(value * 100)}%"
