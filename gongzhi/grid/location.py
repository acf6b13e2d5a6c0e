"""Locating points in a jurisdiction's micro-grids, with a per-process cache of the geo index.

The index is a cache in the strict sense (DESIGN.md §8): each process builds its own from the database and rebuilds it
when the jurisdiction's ``boundary_version`` moves. The version is re-read at most every GONGZHI_GEO_CACHE_TTL
seconds, and at once in the process that changed the boundaries.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from gongzhi.core.errors import DomainError
from gongzhi.grid import coords, roles
from gongzhi.grid.geo import GridIndex, LocateResult


@dataclass
class _Entry:
    version: int
    index: GridIndex
    checked_at: float


_cache: dict[int, _Entry] = {}
_lock = threading.Lock()


def invalidate(jurisdiction_id: int | None = None) -> None:
    with _lock:
        if jurisdiction_id is None:
            _cache.clear()
        else:
            _cache.pop(jurisdiction_id, None)


def _current_version(jurisdiction_id: int) -> int:
    from gongzhi.grid.models import Jurisdiction

    return Jurisdiction.objects.filter(pk=jurisdiction_id).values_list("boundary_version", flat=True).get()


def micro_grid_index(jurisdiction_id: int) -> GridIndex:
    from gongzhi.grid.models import GridNode

    entry = _cache.get(jurisdiction_id)
    now = time.monotonic()
    if entry is not None and now - entry.checked_at < settings.GONGZHI_GEO_CACHE_TTL:
        return entry.index
    version = _current_version(jurisdiction_id)
    if entry is not None and entry.version == version:
        entry.checked_at = now
        return entry.index
    rows = GridNode.objects.filter(
        jurisdiction_id=jurisdiction_id, level=roles.MICRO_GRID, boundary__isnull=False
    ).values_list("pk", "boundary")
    index = GridIndex(rows)
    with _lock:
        _cache[jurisdiction_id] = _Entry(version=version, index=index, checked_at=now)
    return index


def locate(jurisdiction_id: int, lat: float, lon: float, *, system: str = coords.WGS84) -> LocateResult:
    """The micro-grid holding the point; ``system`` says which coordinate system the input is in."""
    try:
        lat, lon = coords.to_wgs84(lat, lon, system)
    except ValueError as exc:
        raise DomainError(str(exc)) from None
    return micro_grid_index(jurisdiction_id).locate(lat, lon)
