"""Which case actions the console offers a viewer, and running one through the case services.

``offered`` answers the same questions as the engine's policies (``cases.policies``) and transition table, so the
page shows a button only when pressing it can succeed. The services check again when the action runs: a stale page
or a forged form is refused by the engine, changes nothing and writes no event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from gongzhi.cases import policies, services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors


@dataclass(frozen=True)
class Action:
    name: str
    label: Any
    transition: str
    # How the viewer is allowed: a capability over the owning unit, or a relation to the case.
    capability: str | None = None
    handler_only: bool = False
    acceptor: bool = False
    danger: bool = False


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("accept", _("Accept"), t.ACCEPT, acceptor=True),
        Action("resolve", _("Report the result"), t.RESOLVE, handler_only=True),
        Action("hold", _("Put on hold"), t.HOLD, handler_only=True),
        Action("resume", _("Resume"), t.RESUME, handler_only=True),
        Action("return", _("Return to the dispatcher"), t.RETURN, danger=True),
        Action("escalate", _("Escalate one level"), t.ESCALATE, danger=True),
        Action("triage", _("Triage"), t.TRIAGE, capability=roles.CASE_TRIAGE),
        Action("dispatch", _("Dispatch"), t.DISPATCH, capability=roles.CASE_DISPATCH),
        Action("merge", _("Merge into another case"), t.MERGE, capability=roles.CASE_TRIAGE),
        Action("reject", _("Reject"), t.REJECT, capability=roles.CASE_TRIAGE, danger=True),
        Action("supervise", _("Supervise (督办)"), t.SUPERVISE, capability=roles.CASE_SUPERVISE),
        Action("whistle", _("Summon departments (吹哨)"), t.WHISTLE, capability=roles.CASE_WHISTLE),
        Action("publish", _("Publish the result"), t.PUBLISH, capability=roles.CASE_PUBLISH),
        Action("rework", _("Order rework"), t.REWORK, capability=roles.CASE_SUPERVISE, danger=True),
        Action("close", _("Close"), t.CLOSE, capability=roles.CASE_SUPERVISE),
    )
}


def _escalate_allowed(user: Any, case: Case) -> bool:
    if case.status == t.ACCEPTED:
        return case.handler_user_id == user.pk
    if case.status == t.DISPATCHED:
        return policies.can_accept(user, case)
    return grid_selectors.user_can(user, roles.CASE_TRIAGE, case.owner_node)


def _return_allowed(user: Any, case: Case) -> bool:
    if case.status == t.ACCEPTED:
        return case.handler_user_id == user.pk
    return policies.can_accept(user, case)


def _guard_ok(action: Action, case: Case) -> bool:
    private = action.transition == t.PUBLISH and case.category_id is not None and case.category.private
    try:
        t.next_status(action.transition, services.facts(case, private=private))
    except t.TransitionError:
        return False
    return True


def allowed(user: Any, case: Case, name: str) -> bool:
    """May ``user`` do ``name`` to ``case`` now (policy and state machine)?"""
    action = ACTIONS.get(name)
    if action is None or not getattr(user, "is_authenticated", False):
        return False
    if not _guard_ok(action, case):
        return False
    if name == "accept":
        return policies.can_accept(user, case)
    if name == "escalate":
        return _escalate_allowed(user, case)
    if name == "return":
        return _return_allowed(user, case)
    if action.handler_only:
        return case.handler_user_id == user.pk
    assert action.capability is not None
    return grid_selectors.user_can(user, action.capability, case.owner_node)


def refusal(user: Any, case: Case, name: str) -> str | None:
    """Why ``user``, who could do ``name`` to cases of this unit, cannot do it to ``case`` now: the state machine's
    reason in the viewer's language (None when the action is allowed, or when the viewer may not do it at all)."""
    action = ACTIONS.get(name)
    if action is None or action.capability is None or not getattr(user, "is_authenticated", False):
        return None
    if not grid_selectors.user_can(user, action.capability, case.owner_node):
        return None
    private = action.transition == t.PUBLISH and case.category_id is not None and case.category.private
    try:
        t.next_status(action.transition, services.facts(case, private=private))
    except t.TransitionError as exc:
        return exc.message
    return None


def offered(user: Any, case: Case) -> list[Action]:
    return [a for a in ACTIONS.values() if allowed(user, case, a.name)]


# What the console says once an action succeeded: the step that was done and where the case is now — never words
# that could read as if the case itself were finished ("督办：工单 … 已完成" read so).
DONE: dict[str, Any] = {
    "accept": _("You accepted case %(code)s: it is in your tasks now."),
    "resolve": _("The result of case %(code)s is reported; the resident is asked to rate it."),
    "hold": _("Case %(code)s is on hold: its deadline clock has stopped."),
    "resume": _("Case %(code)s is being handled again: its deadline clock runs."),
    "return": _("Case %(code)s went back to the dispatch desk of %(desk)s."),
    "escalate": _("Case %(code)s went up one level, to the dispatch desk of %(desk)s."),
    "triage": _("Triage is done: case %(code)s stays at your desk; dispatch it now."),
    "dispatch": _("Case %(code)s was dispatched to %(handler)s; it waits for them to accept it."),
    "merge": _("Case %(code)s was merged into another case; its reporter follows that one."),
    "reject": _("Case %(code)s was not taken on; the resident is told the reason."),
    "supervise": _("Supervision notice (督办) issued on case %(code)s; the handler and the desk are told."),
    "whistle": _("Departments summoned (吹哨) on case %(code)s; each is to report in."),
    "publish": _("The result of case %(code)s is published on the public board."),
    "rework": _("Case %(code)s is reopened for rework."),
    "close": _("Case %(code)s is closed."),
}


def done_message(name: str, case: Case) -> str:
    from gongzhi.console.templatetags.console_tags import handler_label

    return str(DONE[name]) % {"code": case.tracking_code, "desk": case.owner_node.name, "handler": handler_label(case)}


def why_idle(case: Case) -> str:
    """Why the viewer has nothing to do on a case they can see: where it is and who has it now."""
    from gongzhi.console.templatetags.console_tags import handler_label

    desk = case.owner_node.name
    if case.status in (t.SUBMITTED, t.TRIAGED):
        text = _("It waits at the dispatch desk of %(desk)s for triage and dispatch.")
    elif case.status == t.DISPATCHED:
        text = _("It was dispatched to %(handler)s and waits for them to accept it.")
    elif case.status in (t.ACCEPTED, t.ON_HOLD):
        text = _("%(handler)s is handling it.")
    elif case.status == t.RESOLVED:
        text = _("It is resolved and waits for the resident's rating.")
    elif case.status == t.MERGED:
        text = _("It was merged into another case, which is followed instead.")
    else:
        text = _("It is finished.")
    return str(text) % {"desk": desk, "handler": handler_label(case)}


# Each runner takes the viewer, the case and the cleaned form data, and calls exactly one service.
Runner = Callable[[Any, Case, dict[str, Any]], Any]


def _dispatch(user: Any, case: Case, data: dict[str, Any]) -> Any:
    target = data["target"]
    return services.dispatch(case=case, actor=user, note=data.get("note", ""), **target)


RUNNERS: dict[str, Runner] = {
    "accept": lambda u, c, d: services.accept(case=c, actor=u),
    "resolve": lambda u, c, d: services.resolve(case=c, actor=u, result=d["result"], photos=d.get("photos", ())),
    "hold": lambda u, c, d: services.hold(case=c, actor=u, reason=d["reason"]),
    "resume": lambda u, c, d: services.resume(case=c, actor=u),
    "return": lambda u, c, d: services.return_case(case=c, actor=u, reason=d["reason"]),
    "escalate": lambda u, c, d: services.escalate(case=c, actor=u, reason=d["reason"]),
    "triage": lambda u, c, d: services.triage(
        case=c,
        actor=u,
        category=d["category"],
        urgency=d.get("urgency") or None,
        level=d.get("level") or None,
        note=d.get("note", ""),
    ),
    "dispatch": _dispatch,
    "merge": lambda u, c, d: services.merge(case=c, into=d["into"], actor=u),
    "reject": lambda u, c, d: services.reject(case=c, actor=u, reason=d["reason"]),
    "supervise": lambda u, c, d: services.supervise(case=c, actor=u, reason=d["reason"], due=d.get("due")),
    "whistle": lambda u, c, d: services.whistle(
        case=c, actor=u, departments=d["departments"], task=d["task"], due=d.get("due")
    ),
    "publish": lambda u, c, d: services.publish(case=c, actor=u, summary=d["summary"]),
    "rework": lambda u, c, d: services.rework(case=c, actor=u, reason=d["reason"]),
    "close": lambda u, c, d: services.close(case=c, actor=u, reason=d.get("reason", "")),
}
