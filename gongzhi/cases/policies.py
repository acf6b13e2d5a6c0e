"""Who may do what to a case, built on grid scoping and post capabilities (DESIGN.md §6).

Each check raises PermissionDenied with a reason; services call them before they touch anything, so a denied
action changes nothing and writes no event.
"""

from __future__ import annotations

from typing import Any

from gongzhi.cases import transitions as t
from gongzhi.cases.choices import RevealBasis
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


def phone_reveal_basis(user: Any, case: Any) -> str:
    """Why ``user`` may see the reporter's phone of ``case`` in full (a ``RevealBasis`` value); PermissionDenied if
    they may not. The number is for contacting the resident about the case, so it goes to the people working on it:

    - the person handling it (``handler_user``);
    - staff of the handling unit (a post on ``handler_node``: the micro-grid's stewards, the grid's workers) or of
      the handling department (a post on ``handler_department``);
    - the desk that owns it (a post on ``owner_node``: the community or street dispatchers);
    - staff above the handling unit or the owner in the grid (street, district command centre).

    Each of these holds the post capability ``case.contact`` (``grid.roles``: not leaders, not administrators,
    who supervise without calling residents; a superuser without such a post is no exception). Never: an anonymous
    report; a report without a phone; a finished case (closed, rejected, merged); a department only summoned to
    co-handle (吹哨), which works on the matter, not with the resident.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(gettext_noop("only staff working on the case may see the reporter's phone"))
    if case.anonymous:
        raise PermissionDenied(gettext_noop("the report is anonymous: the reporter's phone is never shown"))
    if not case.reporter_phone:
        raise PermissionDenied(gettext_noop("the reporter left no phone number"))
    if case.status in t.FINAL:
        raise PermissionDenied(gettext_noop("the case is finished: the reporter's phone is no longer shown"))
    if case.handler_user_id is not None and case.handler_user_id == user.pk:
        return RevealBasis.HANDLER
    found: str | None = None
    for post in _posts(user):
        if not roles.can(post.role, roles.CASE_CONTACT):
            continue
        if post.department_id is not None and post.department_id == case.handler_department_id:
            return RevealBasis.HANDLING_DEPARTMENT
        node = post.node
        if node is None:
            continue
        if case.handler_node_id is not None and node.pk == case.handler_node_id:
            return RevealBasis.HANDLING_UNIT
        if node.pk == case.owner_node_id:
            found = RevealBasis.OWNER_DESK
        elif found is None and (
            node.is_ancestor_of(case.owner_node)
            or (case.handler_node_id is not None and node.is_ancestor_of(case.handler_node))
        ):
            found = RevealBasis.ABOVE
    if found is None:
        raise PermissionDenied(gettext_noop("only staff working on the case may see the reporter's phone"))
    return found


def may_reveal_phone(user: Any, case: Any) -> bool:
    try:
        phone_reveal_basis(user, case)
    except PermissionDenied:
        return False
    return True
