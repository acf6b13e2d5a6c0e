"""Who may do what with a station: from the capabilities of their posts over its grid node (``grid/roles.py``)."""

from __future__ import annotations

from typing import Any

from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode
from gongzhi.stations.models import DutyShift, Station


def can_manage(user: Any, node: GridNode) -> bool:
    """Set up stations on ``node``: create, edit, the rota."""
    return bool(getattr(user, "is_authenticated", False)) and grid_selectors.user_can(user, roles.STATION_MANAGE, node)


def on_rota(user: Any, station: Station) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    posts = [p.pk for p in grid_selectors.active_posts(user)]
    return bool(posts) and DutyShift.objects.filter(station=station, post_id__in=posts).exists()


def can_desk(user: Any, station: Station) -> bool:
    """Keep the station's desk: count visitors, take walk-in requests and 代办 matters. Staff whose posts cover the
    station's node, and anyone on its rota."""
    if not getattr(user, "is_authenticated", False):
        return False
    node = grid_selectors.node(station.node_id)
    return (
        grid_selectors.user_can(user, roles.STATION_DESK, node)
        or grid_selectors.user_can(user, roles.STATION_MANAGE, node)
        or on_rota(user, station)
    )
