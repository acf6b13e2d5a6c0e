"""Who may do what at a market: from the capabilities of their posts over the event's community (``grid/roles.py``).
``market.manage`` plans events, offerings and capacity; ``market.desk`` keeps a stall: check-in, walk-ups, booking on
behalf of a resident, no-shows."""

from __future__ import annotations

from typing import Any

from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode


def can_manage(user: Any, node: GridNode) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and grid_selectors.user_can(user, roles.MARKET_MANAGE, node)


def can_desk(user: Any, node: GridNode) -> bool:
    """Keep a stall at an event of ``node``: staff whose posts cover it, and the stewards and grid workers of the
    community it is in (a market is the community's, its stalls are kept by people from all over it)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if grid_selectors.user_can(user, roles.MARKET_DESK, node) or grid_selectors.user_can(
        user, roles.MARKET_MANAGE, node
    ):
        return True
    community = grid_selectors.ancestor_at(node, roles.COMMUNITY) or node
    return any(
        post.node is not None
        and post.jurisdiction_id == community.jurisdiction_id
        and post.node.path.startswith(community.path)
        and roles.can(post.role, roles.MARKET_DESK)
        for post in grid_selectors.active_posts(user)
    )
