"""Who may do what to a case, built on grid scoping and post capabilities (DESIGN.md §6).

Each check raises PermissionDenied with a reason; services call them before they touch anything, so a denied
action changes nothing and writes no event.
"""

from __future__ import annotations

from typing import Any

from gongzhi.core.errors import PermissionDenied, Term, gettext_noop
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode

# The ``what`` of the refusals below that are not action names (cases.transitions.ACTION_TERMS has those).
EXTRA_TERMS = (gettext_noop("reopen"), gettext_noop("summon departments for"))


def _posts(user: Any) -> list[Any]:
    return list(grid_selectors.active_posts(user))


def require_over_node(user: Any, capability: str, node: GridNode, *, what: str) -> None:
    if user is None:
        return  # the system actor (sweeps, simulation of residents) is trusted
    if not grid_selectors.user_can(user, capability, node):
        raise PermissionDenied(
            gettext_noop("you may not %(what)s cases of %(node)s"), params={"what": Term(what), "node": node.name}
        )


def can_accept(user: Any, case: Any) -> bool:
    """The person it was dispatched to, a steward of the pool's micro-grid, staff of the unit or department."""
    if user is None:
        return False
    if case.handler_user_id is not None:
        return case.handler_user_id == user.pk
    for post in _posts(user):
        if not roles.can(post.role, roles.CASE_ACCEPT):
            continue
        if case.handler_department_id is not None and post.department_id == case.handler_department_id:
            return True
        if case.handler_node_id is not None and post.node_id == case.handler_node_id:
            return not case.pooled or post.role == roles.STEWARD
    return False


def require_accept(user: Any, case: Any) -> None:
    """The system actor may act for anyone (sweeps); a person only on cases dispatched to them."""
    if user is None:
        return
    if not can_accept(user, case):
        raise PermissionDenied(gettext_noop("this case was not dispatched to you"))


def require_handler(user: Any, case: Any, *, what: str) -> None:
    """Actions of the person who accepted the case (return, escalate, hold, resume, resolve)."""
    if user is None:
        return
    if case.handler_user_id != user.pk:
        raise PermissionDenied(
            gettext_noop("only the person handling this case may %(what)s it"), params={"what": Term(what)}
        )


def require_recorder(user: Any, case: Any) -> None:
    """即时办结 is for the staff member who recorded the case at intake."""
    if user is None or case.recorded_by_id != user.pk:
        raise PermissionDenied(gettext_noop("only the staff member who recorded the case can resolve it on the spot"))


def require_report_in(user: Any, department_id: int) -> None:
    if user is None:
        return
    if not any(p.department_id == department_id and roles.can(p.role, roles.CASE_REPORT_IN) for p in _posts(user)):
        raise PermissionDenied(gettext_noop("only staff of the summoned department may report in"))


def require_reporter(user: Any, case: Any, *, verified_reporter: bool, what: str = "rate") -> None:
    """The reporter's own actions (rate, add information, withdraw): signed in as them, or proven at the interface
    (``verified_reporter``: the browser that sent it, or a phone login with their number)."""
    if verified_reporter:
        return
    if user is None or case.reporter_id is None or case.reporter_id != user.pk:
        if what == "rate":
            raise PermissionDenied(gettext_noop("only the person who reported the case may rate it"))
        raise PermissionDenied(
            gettext_noop("only the person who reported the case may %(what)s it"), params={"what": Term(what)}
        )
