"""Locating points in a jurisdiction's micro-grids, with a per-process cache of the geo index.

The index is a cache in the strict sense (DESIGN.md §8): each process builds its own from the database and rebuilds it
when the jurisdiction's ``boundary_version`` moves. The version is re-read at most every GONGZHI_GEO_CACHE_TTL
seconds, and at once in the process that changed the boundaries (``grid.services`` calls ``invalidate`` on commit).

An index built inside a transaction may hold that transaction's uncommitted boundaries. It is shared with the rest of
the process only once the transaction commits; until then only the same transaction reuses it, and a rollback drops
it. Otherwise a rolled-back change could sit in the cache under a version number that a later, different change
then takes, and be served as current.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from gongzhi.core import caches
from gongzhi.core.errors import DomainError, NotFound, gettext_noop
from gongzhi.grid import coords, roles
from gongzhi.grid.geo import GridIndex, LocateResult


@dataclass
class _Entry:
    version: int
    index: GridIndex
    checked_at: float


_cache: dict[int, _Entry] = {}
_lock = threading.Lock()
# Per thread (Django connections are per thread): jurisdiction id -> (entry, its pending on-commit callback).
_local = threading.local()


def _pending() -> dict[int, tuple[_Entry, Callable[[], None]]]:
    pending: dict[int, tuple[_Entry, Callable[[], None]]] | None = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = {}
    return pending


def invalidate(jurisdiction_id: int | None = None) -> None:
    """Forget the cached index of one jurisdiction (or all); the next lookup rebuilds it."""
    with _lock:
        if jurisdiction_id is None:
            _cache.clear()
        else:
            _cache.pop(jurisdiction_id, None)
    if jurisdiction_id is None:
        _pending().clear()
    else:
        _pending().pop(jurisdiction_id, None)


caches.register(__name__, invalidate)


def _current_version(jurisdiction_id: int) -> int:
    from gongzhi.grid.models import Jurisdiction

    try:
        return int(Jurisdiction.objects.filter(pk=jurisdiction_id).values_list("boundary_version", flat=True).get())
    except Jurisdiction.DoesNotExist:
        raise NotFound(gettext_noop("jurisdiction %(id)s does not exist"), params={"id": jurisdiction_id}) from None


def _still_pending(callback: Callable[[], None]) -> bool:
    """True while ``callback`` waits to run on commit: the transaction that registered it is neither committed nor
    rolled back (a rolled-back savepoint drops its callbacks too)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    return any(item[1] is callback for item in getattr(connection, "run_on_commit", ()))


def micro_grid_index(jurisdiction_id: int) -> GridIndex:
    from gongzhi.grid.models import GridNode

    now = time.monotonic()
    pending = _pending()
    own = pending.get(jurisdiction_id)
    if own is not None and not _still_pending(own[1]):
        del pending[jurisdiction_id]
        own = None
    # This transaction's own index first: it may reflect boundaries the shared cache must not see yet.
    entry = own[0] if own is not None else _cache.get(jurisdiction_id)
    if entry is not None and now - entry.checked_at < settings.GONGZHI_GEO_CACHE_TTL:
        return entry.index
    # Read the version before the rows: rows at least as new as their version label are at worst rebuilt once more.
    version = _current_version(jurisdiction_id)
    if entry is not None and entry.version == version:
        entry.checked_at = now
        return entry.index
    rows = GridNode.objects.filter(
        jurisdiction_id=jurisdiction_id, level=roles.MICRO_GRID, boundary__isnull=False
    ).values_list("pk", "boundary")
    fresh = _Entry(version=version, index=GridIndex(rows), checked_at=now)

    def share() -> None:
        with _lock:
            _cache[jurisdiction_id] = fresh

    if transaction.get_connection().in_atomic_block:
        # Until this transaction commits, the index is its own (it may hold uncommitted boundaries).
        transaction.on_commit(share)
        pending[jurisdiction_id] = (fresh, share)
    else:
        share()
    return fresh.index


def locate(jurisdiction_id: int, lat: float, lon: float, *, system: str = coords.WGS84) -> LocateResult:
    """The micro-grid holding the point; ``system`` says which coordinate system the input is in."""
    try:
        lat, lon = coords.to_wgs84(lat, lon, system)
    except ValueError as exc:
        raise DomainError(str(exc)) from None
    return micro_grid_index(jurisdiction_id).locate(lat, lon)
