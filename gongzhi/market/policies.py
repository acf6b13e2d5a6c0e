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
    if not getattr(user, "is_authenticated", False):
        return False
    return grid_selectors.user_can(user, roles.MARKET_DESK, node) or grid_selectors.user_can(
        user, roles.MARKET_MANAGE, node
    )
