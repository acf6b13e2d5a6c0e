"""Short write transactions for services that read, decide, then write (the case services).

``@optimistic`` runs a function in one transaction like ``@transaction.atomic``. On SQLite (where one connection
writes at a time, and a transaction holds that right from its ``BEGIN IMMEDIATE``) the ``BEGIN`` waits for the
function's first write: its reads and checks run beside the other writer instead of inside the write turn, which
then lasts only for the writes and the commit. The rows it reads for update (``core.prepared.get(...,
for_update=True)``, the only row lock such a function may take) are checked again right after the ``BEGIN``; if one
changed meanwhile, nothing has been written yet, and the function runs once more with the lock taken from the
start, exactly as under ``@transaction.atomic``. So a function sees what it would have seen under the lock: its
locked rows as they are when it writes, everything else as of its reads — which is what PostgreSQL gives it too
(``SELECT … FOR UPDATE`` on the locked rows, read committed for the rest).

A function whose decisions rest on rows it does not lock and will not write (say, "has this been done already?"
answered by another table) calls ``begin_now()`` before that read: from there on it is inside the transaction. It
must let ``StaleRead`` (raised by its first write) through to the decorator: no ``except Exception`` around writes.
A function may run twice, so nothing it does before its first write may have effects outside the database.

Inside an open transaction, and on PostgreSQL, ``@optimistic`` is ``@transaction.atomic``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.db import transaction

from gongzhi.core.sqlite.base import StaleRead


def optimistic[**P, R](function: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        connection = transaction.get_connection()
        put_off = getattr(connection, "begin_at_first_write", None)
        if put_off is not None and not connection.in_atomic_block:
            try:
                with put_off(), transaction.atomic():
                    return function(*args, **kwargs)
            except StaleRead:
                pass  # a locked row changed between the read and the first write: nothing was written
        with transaction.atomic():
            return function(*args, **kwargs)

    return run


def begin_now() -> None:
    """Inside ``@optimistic``: begin the transaction here (SQLite: take the write lock and check the rows read for
    update so far), so the reads that follow are the transaction's own."""
    connection = transaction.get_connection()
    raw = connection.connection
    if getattr(raw, "begin_put_off", False):
        raw.begin_now()
