"""Who may do what in the care registry: from the capabilities of their posts over the resident's node
(``grid/roles.py``). ``care.view`` searches the registry, opens a record with a purpose and records visits;
``care.manage`` keeps households and residents, levels, imports and exports, and a resident's export and erasure on
their request; ``care.audit`` reviews the access log (administrators, who do not open records themselves)."""

from __future__ import annotations

from typing import Any

from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode


def _staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def can_view(user: Any, node: GridNode) -> bool:
    return _staff(user) and grid_selectors.user_can(user, roles.CARE_VIEW, node)


def can_manage(user: Any, node: GridNode) -> bool:
    return _staff(user) and grid_selectors.user_can(user, roles.CARE_MANAGE, node)


def can_audit(user: Any) -> bool:
    if not _staff(user):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return any(roles.can(post.role, roles.CARE_AUDIT) for post in grid_selectors.active_posts(user))


def may_use_registry(user: Any) -> bool:
    """Whether any post lets the user search the registry (the navigation shows it)."""
    if not _staff(user):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return any(post.node_id and roles.can(post.role, roles.CARE_VIEW) for post in grid_selectors.active_posts(user))
