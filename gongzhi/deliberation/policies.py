"""Who may do what in deliberation: from the capabilities of their posts over the topic's, meeting's or notice's node
(``grid/roles.py``). ``deliberation.manage`` runs topics, meetings and votes and moderates; ``deliberation.desk``
checks residents in at a meeting and casts a vote for a resident without a phone; ``notice.publish`` publishes
notices to the buildings of the subtree. Residents act through the resident pages with their phone login."""

from __future__ import annotations

from typing import Any

from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode


def _staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def can_manage(user: Any, node: GridNode) -> bool:
    return _staff(user) and grid_selectors.user_can(user, roles.DELIBERATION_MANAGE, node)


def can_desk(user: Any, node: GridNode) -> bool:
    """Keep the door of a meeting (or a vote's desk) of ``node``: staff whose posts cover it, and the stewards and
    grid workers of the community it is in (a community's meeting is kept by people from all over it)."""
    if not _staff(user):
        return False
    if grid_selectors.user_can(user, roles.DELIBERATION_DESK, node) or grid_selectors.user_can(
        user, roles.DELIBERATION_MANAGE, node
    ):
        return True
    community = grid_selectors.ancestor_at(node, roles.COMMUNITY)
    return community is not None and any(
        post.node is not None and community.is_ancestor_of(post.node) and roles.can(post.role, roles.DELIBERATION_DESK)
        for post in grid_selectors.active_posts(user)
    )


def can_publish_notice(user: Any, node: GridNode) -> bool:
    return _staff(user) and grid_selectors.user_can(user, roles.NOTICE_PUBLISH, node)
