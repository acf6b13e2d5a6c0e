"""Bulk writes (imports) that share SQLite's one write lock with the residents' reports written beside them.

On PostgreSQL a bulk write is ONE transaction: it locks only the rows it inserts, so nobody waits for it, and all or
nothing is the database's. On SQLite a transaction holds the database's only write lock from its first statement to
its end; a 50,000-row import written so held it for over a minute and every interactive write meanwhile waited, then
failed ("database is locked": a 503). There a bulk write commits batch by batch (``committed_step``: each batch a
short transaction, then a pause for the writers that waited) and the caller deletes what the earlier batches wrote if
a later one fails — all or nothing by undoing, not by the database. ``gongzhi bench import-wait`` measures the
residents' reports beside such an import (figures in gongzhi/care/README.md and docs/architecture.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connections, router, transaction

# The pause after each committed batch: a fifth of the time the batch held the lock, at least 10 ms — long enough for
# the writers that waited to take their turn even in a busy process (a thread waits up to 5 ms for Python's GIL); a
# pause of 2 ms let the import take the turn back first and a report wait 1.6 s (``gongzhi bench import-wait``).
SQLITE_PAUSE_S = 0.01
SQLITE_PAUSE_SHARE = 0.2


def commits_per_batch(model: Any) -> bool:
    """Whether a bulk write of ``model``'s rows commits batch by batch: on SQLite (one writer at a time), not on
    PostgreSQL."""
    return connections[router.db_for_write(model) or "default"].vendor == "sqlite"


def in_batches[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size`` (the last one shorter)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def committed_step() -> Iterator[None]:
    """One batch's transaction, committed at the end of the block, then the pause that lets waiting writers in (none
    inside an outer transaction: there nothing commits and the lock is not given back)."""
    outer = transaction.get_connection().in_atomic_block
    began = time.perf_counter()
    with transaction.atomic():
        yield
    if not outer:
        time.sleep(max(SQLITE_PAUSE_S, (time.perf_counter() - began) * SQLITE_PAUSE_SHARE))
