"""Who may do what at a market: from the capabilities of their posts over the event's community (``grid/roles.py``).
``market.manage`` plans events, offerings and capacity; ``market.desk`` keeps a stall: check-in, walk-ups, booking on
behalf of a resident, no-shows. A desk post below the community (a steward's micro-grid, a grid worker's grid) keeps
the stalls of its whole community's markets — the same community ``selectors`` lets it read."""

from __future__ import annotations

from typing import Any

from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import PATH_SEGMENT_WIDTH, GridNode

COMMUNITY_PATH = PATH_SEGMENT_WIDTH * (roles.level_index(roles.COMMUNITY) + 1)


def can_manage(user: Any, node: GridNode) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and grid_selectors.user_can(user, roles.MARKET_MANAGE, node)


def can_desk(user: Any, node: GridNode) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if grid_selectors.user_can(user, roles.MARKET_DESK, node) or grid_selectors.user_can(
        user, roles.MARKET_MANAGE, node
    ):
        return True
    return any(
        p.node is not None
        and p.node.jurisdiction_id == node.jurisdiction_id
        and node.path.startswith(p.node.path[:COMMUNITY_PATH])
        for p in grid_selectors.active_posts(user)
        if roles.can(p.role, roles.MARKET_DESK)
    )
