"""Per-process caches for the Open311 hot path: jurisdictions, the leaf categories of a jurisdiction, API keys and
buildings by their QR token. Without them every request spends most of its Python time building four small
lookups that almost never change.

They are caches, not state (DESIGN.md §8): each entry lives at most ``TTL`` seconds, and a save or delete of a
``Jurisdiction``, ``CaseCategory``, ``Open311Key`` or ``Building`` in this process empties them at once and again
when its transaction commits. Another process sees such a change within ``TTL`` seconds — a key deactivated in the
admin keeps working that long in the other server workers at most. Only hits are kept for keys and buildings (what a
client invents cannot fill memory), and those two are bounded."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import transaction

from gongzhi.core import caches

TTL = 60.0
MAX_ENTRIES = 10_000

_entries: dict[tuple[Any, ...], tuple[float, Any]] = {}
caches.register(__name__, _entries.clear)


def clear(**_kwargs: Any) -> None:
    """Empty every cache (a signal receiver too: also once the current transaction commits)."""
    _entries.clear()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_entries.clear)


def get(key: tuple[Any, ...], load: Callable[[], Any], *, keep_none: bool = True) -> Any:
    """The cached value of ``key``, or ``load()`` (kept for ``TTL`` seconds; ``None`` only with ``keep_none``)."""
    now = time.monotonic()
    found = _entries.get(key)
    if found is not None and found[0] > now:
        return found[1]
    value = load()
    if value is not None or keep_none:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (now + TTL, value)
    return value


def connect() -> None:
    """Empty the caches when a row they hold changes (called from the app's ``ready``)."""
    from django.db.models.signals import post_delete, post_save

    from gongzhi.cases.models import CaseCategory
    from gongzhi.grid.models import Building, Jurisdiction
    from gongzhi.open311.models import Open311Key

    for model in (Jurisdiction, CaseCategory, Open311Key, Building):
        post_save.connect(clear, sender=model, dispatch_uid=f"open311-cache-{model.__name__}-save")
        post_delete.connect(clear, sender=model, dispatch_uid=f"open311-cache-{model.__name__}-delete")
