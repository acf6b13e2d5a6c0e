"""gongzhi's SQLite backend: Django's, with writers taking turns through a lock file instead of SQLite's busy wait.

SQLite lets one connection write at a time. A connection that finds the write lock taken waits in SQLite's busy
handler, which sleeps 1, 2, 5, 10, 15, 20, 25 … ms between tries and never learns when the lock comes free. With two
web workers each holding the lock for under a millisecond per transaction, a waiter overslept the lock by several
times its length: in ``gongzhi bench engine``'s two processes, one write in six outside a transaction (a text
message marked sent) waited over half a millisecond, ~12 ms on average.

Here a connection takes its *turn* before it writes: an exclusive ``flock`` on ``<database>-turn``, held from
``BEGIN`` to ``COMMIT``/``ROLLBACK`` (Django opens every ``atomic`` block with ``BEGIN IMMEDIATE``, see config) or for
the one statement of a write outside a transaction. A waiter asks again every 50–250 µs, so it follows within a
fraction of a millisecond of the turn coming free; it waits at most the database's ``timeout`` (as SQLite would) and
then fails with "database is locked". Reads never take a turn (WAL: readers run beside the writer). The turn is a
courtesy queue in front of SQLite's own lock, which still guarantees correctness: a writer that does not take turns
(the ``sqlite3`` shell, another program) is waited for by SQLite as before. In-memory databases (the tests) have no
file and take no turns.

Checkpoints (copying the WAL back into the database file) are moved out of the turn too: see
``Connection.committed``.

A transaction opened under ``DatabaseWrapper.begin_at_first_write`` (``core.transactions.optimistic``: the case
services) puts its ``BEGIN`` off until its first write: what it reads and computes before that runs outside the turn,
beside the other writer. The rows it read *for update* before then (``core.prepared.get(..., for_update=True)``)
are read again right after the ``BEGIN``, and if any of them changed meanwhile the transaction is rolled back before
writing anything and ``StaleRead`` is raised, for the caller to run again with the lock taken from the start.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db.backends.sqlite3 import base

FIRST_PAUSE_S = 50e-6
LONGEST_PAUSE_S = 250e-6
# A connection runs a checkpoint after every this many of its commits (see Connection.committed): about as often as
# SQLite's own every 1,000 pages, for a service call's ~15 pages. SQLite's own, inside a commit, stays as a backstop
# at ten times its default (a bulk import, the simulator's day-long transactions).
CHECKPOINT_EVERY = 64
BACKSTOP_PAGES = 10_000


class StaleRead(Exception):
    """A row read for update before its transaction began had changed by the transaction's first write (nothing was
    written; see ``Connection.put_off_begin``)."""


class Connection(sqlite3.Connection):
    """A sqlite3 connection that takes the write turn (see the module); ``turn_path`` None takes none."""

    turn_path: str | None = None
    turn_timeout: float = 5.0
    _turn_fd: int | None = None
    _turn_pid: int = 0
    _turn_held: bool = False
    checkpoints: bool = False
    _commits: int = 0
    _begin: str | None = None  # a BEGIN put off until the first write (put_off_begin)
    _guards: list[tuple[str, tuple[Any, ...], list[Any]]] | None = None

    def put_off_begin(self, begin: str) -> None:
        """Run ``begin`` (a ``BEGIN …`` statement) just before this connection's next write instead of now."""
        self._begin, self._guards = begin, []

    @property
    def begin_put_off(self) -> bool:
        return self._begin is not None

    def guard(self, sql: str, params: Sequence[Any], rows: list[Any]) -> None:
        """While the ``BEGIN`` is put off: ``sql`` (``?`` style) read ``rows``; the transaction writes only if it
        still reads them after its ``BEGIN``."""
        if self._guards is not None:
            self._guards.append((sql, tuple(params), rows))

    def begin_now(self) -> None:
        """The ``BEGIN`` put off, now (in this connection's turn), then the guards read again: a row that changed
        since it was read rolls the transaction back and raises ``StaleRead``. Nothing to do when none is put off."""
        begin, guards = self._begin, self._guards or []
        if begin is None:
            return
        self._begin = self._guards = None
        self.take_turn()
        try:
            sqlite3.Connection.execute(self, begin)
        except BaseException:
            self.give_turn()
            raise
        for sql, params, rows in guards:
            if sqlite3.Connection.execute(self, sql, params).fetchall() != rows:
                self.rollback()
                raise StaleRead(f"a row read for update changed before the first write ({sql[:80]} {params})")

    def _forget_begin(self) -> None:
        self._begin = self._guards = None

    def take_turn(self) -> None:
        if self._turn_held or self.turn_path is None:
            return
        if self._turn_fd is None or self._turn_pid != os.getpid():
            # A forked child shares its parent's open file (and so its flock): it opens its own.
            self._turn_fd = os.open(self.turn_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._turn_pid = os.getpid()
        try:
            fcntl.flock(self._turn_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._wait_turn(self._turn_fd)
        self._turn_held = True

    def _wait_turn(self, fd: int) -> None:
        deadline = time.monotonic() + self.turn_timeout
        pause = FIRST_PAUSE_S
        while True:
            time.sleep(pause)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError(
                        f"database is locked: another connection kept the write turn for {self.turn_timeout:g} s"
                    ) from None
                pause = min(pause * 2, LONGEST_PAUSE_S)

    def give_turn(self) -> None:
        if self._turn_held:
            self._turn_held = False
            if self._turn_fd is not None and self._turn_pid == os.getpid():
                fcntl.flock(self._turn_fd, fcntl.LOCK_UN)

    def execute_turn(self, cursor: sqlite3.Cursor, execute: Any, sql: str, params: Any) -> Any:
        """``execute(cursor, sql, params)``, in this connection's turn unless the statement needs none: a read
        (``SELECT``), or any statement of an open transaction (whose ``BEGIN`` took the turn). A ``BEGIN`` keeps the
        turn for its transaction; any other statement gives it back."""
        if self.in_transaction or sql.startswith("SELECT"):
            return execute(cursor, sql, params)
        if self._begin is not None:
            self.begin_now()
            return execute(cursor, sql, params)
        if self.turn_path is None:
            return execute(cursor, sql, params)
        self.take_turn()
        try:
            return execute(cursor, sql, params)
        finally:
            if not self.in_transaction:
                self.give_turn()
                self.committed()

    def commit(self) -> None:
        wrote = self.in_transaction
        self._forget_begin()  # a transaction that never wrote never began
        try:
            super().commit()
        finally:
            self.give_turn()
        if wrote:
            self.committed()

    def committed(self) -> None:
        """After a write committed, the turn given back: every ``CHECKPOINT_EVERY``-th runs a passive checkpoint.

        SQLite's automatic checkpoint (every 1,000 WAL pages) runs inside the commit that crosses the mark, holding
        the write lock — and so the turn — for ~5 ms while it copies pages into the database file and syncs: one
        commit in thirty, more than half of all the time commits took (bench engine). Connections of a file database
        move that mark to ``BACKSTOP_PAGES`` and checkpoint here instead, beside the next writer: a checkpoint needs
        no write lock, and a passive one never waits for anybody. One that cannot run now (a statement of this
        connection still has rows to give) is tried again after the next commit; it never fails the write."""
        if self.checkpoints:
            self._commits += 1
            if self._commits >= CHECKPOINT_EVERY:
                try:
                    sqlite3.Connection.execute(self, "PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    return
                self._commits = 0

    def rollback(self) -> None:
        self._forget_begin()
        try:
            super().rollback()
        finally:
            self.give_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._drop_turn_file()

    def __del__(self) -> None:
        # A connection dropped without close() (SQLite rolls its transaction back) must not keep the turn for the
        # life of the process.
        self._drop_turn_file()

    def _drop_turn_file(self) -> None:
        self._forget_begin()
        self.give_turn()
        fd, self._turn_fd = self._turn_fd, None
        if fd is not None and self._turn_pid == os.getpid():
            os.close(fd)


_execute = base.SQLiteCursorWrapper.execute
_executemany = base.SQLiteCursorWrapper.executemany


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's SQLite cursor, its statements run in the connection's turn (``Connection.execute_turn``)."""

    connection: Connection

    def execute(self, query: str, params: Any = None) -> Any:
        return self.connection.execute_turn(self, _execute, query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        return self.connection.execute_turn(self, _executemany, query, param_list)


class DatabaseWrapper(base.DatabaseWrapper):
    connection: Connection
    _put_off_begin = False

    @contextmanager
    def begin_at_first_write(self) -> Iterator[None]:
        """The transaction that starts in this block (``transaction.atomic()`` entered outside any other) sends its
        ``BEGIN`` just before its first write (``Connection.put_off_begin``)."""
        self._put_off_begin = True
        try:
            yield
        finally:
            self._put_off_begin = False

    def _start_transaction_under_autocommit(self) -> None:
        if self._put_off_begin and not self.connection.in_transaction:
            self._put_off_begin = False
            self.connection.put_off_begin(f"BEGIN {self.transaction_mode}" if self.transaction_mode else "BEGIN")
        else:
            super()._start_transaction_under_autocommit()

    def get_connection_params(self) -> dict[str, Any]:
        return {**super().get_connection_params(), "factory": Connection}

    def get_new_connection(self, conn_params: dict[str, Any]) -> Connection:
        conn: Connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            conn.turn_path = f"{self.settings_dict['NAME']}-turn"
            conn.turn_timeout = float(conn_params.get("timeout", 5.0))
            if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
                conn.checkpoints = True
        return conn

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)
