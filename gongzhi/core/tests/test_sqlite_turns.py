"""gongzhi's SQLite backend: writers take turns through the lock file next to the database (core.sqlite.base).

These tests open their own file databases (the test database is in memory, which takes no turns), so they run the
same on a PostgreSQL test run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from gongzhi import config
from gongzhi.core.sqlite import base as backend
from gongzhi.core.tests.sqlite_files import count, turn_is_free


def test_the_engine_is_gongzhis_backend_with_a_turn_file_beside_the_database(databases, tmp_path):
    a = databases["default"]
    assert a.settings_dict["ENGINE"] == "gongzhi.core.sqlite" and a.vendor == "sqlite"
    assert isinstance(a.connection, backend.Connection)
    assert a.connection.turn_path == str(tmp_path / "gongzhi.sqlite3-turn")
    assert a.connection.turn_timeout == 20.0


def test_a_transaction_holds_the_turn_from_begin_to_commit_and_a_writer_outside_waits_for_it(databases):
    a = databases["default"]
    path = f"{a.settings_dict['NAME']}-turn"
    a.cursor().execute("BEGIN IMMEDIATE")
    a.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["a"])
    assert not turn_is_free(path)

    done = threading.Event()
    errors: list[BaseException] = []

    def write_b() -> None:
        b = databases["b"]  # the handler's connections are per thread: this thread's own
        try:
            b.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["b"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            b.close()
            done.set()

    writer = threading.Thread(target=write_b)
    writer.start()
    assert not done.wait(0.3), "b wrote while a's transaction was open"
    a.commit()
    assert done.wait(5) and not errors
    writer.join()
    assert turn_is_free(path)
    assert count(a, "a") == 1 and count(a, "b") == 1


def test_reads_take_no_turn(databases):
    a, b = databases["default"], databases["b"]
    a.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["before"])
    a.cursor().execute("BEGIN IMMEDIATE")
    a.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["uncommitted"])
    began = time.monotonic()
    assert count(b) == 1  # WAL: b reads the committed state beside a's open transaction, without waiting
    assert time.monotonic() - began < 0.2
    a.rollback()
    assert count(a) == 1


def test_a_writer_waits_at_most_its_timeout_then_fails_clearly_and_writes_nothing(databases):
    a, quick = databases["default"], databases["quick"]
    a.cursor().execute("BEGIN IMMEDIATE")
    began = time.monotonic()
    with pytest.raises(
        OperationalError, match=r"database is locked: another connection kept the write turn for 0\.3 s"
    ):
        quick.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["quick"])
    waited = time.monotonic() - began
    assert 0.3 <= waited < 2
    a.commit()
    assert count(a) == 0
    # The failed wait left nothing held: quick writes at once now.
    quick.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["quick"])
    assert count(a, "quick") == 1


def test_rollback_close_and_a_failed_statement_give_the_turn_back(databases):
    a = databases["default"]
    path = f"{a.settings_dict['NAME']}-turn"
    a.cursor().execute("BEGIN IMMEDIATE")
    assert not turn_is_free(path)
    a.rollback()
    assert turn_is_free(path)

    a.cursor().execute("BEGIN IMMEDIATE")
    a.close()
    assert turn_is_free(path)

    with pytest.raises(OperationalError):
        a.cursor().execute("INSERT INTO no_such_table (who) VALUES (%s)", ["x"])
    assert turn_is_free(path)

    # A BEGIN that fails (one is already open) leaves the first transaction's turn in place until it ends.
    a.cursor().execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError):
        a.cursor().execute("BEGIN IMMEDIATE")
    assert not turn_is_free(path)
    a.commit()
    assert turn_is_free(path)


def test_atomic_blocks_take_the_turn(databases):
    a = databases["default"]
    path = f"{a.settings_dict['NAME']}-turn"
    with _AtomicOn(a):
        assert not turn_is_free(path)
        a.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["atomic"])
    assert turn_is_free(path) and count(a, "atomic") == 1

    def fail_inside() -> None:
        with _AtomicOn(a):
            a.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["lost"])
            raise LookupError("after the write")

    with pytest.raises(LookupError):
        fail_inside()
    assert turn_is_free(path) and count(a, "lost") == 0


class _AtomicOn:
    """What ``transaction.atomic`` does on SQLite, on a connection outside django.db.connections (which ``atomic``
    would need): ``set_autocommit(False, force_begin…)`` opens the transaction with ``BEGIN IMMEDIATE``."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.ensure_connection()
        self.db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        self.db.in_atomic_block = True
        return self

    def __exit__(self, *exc):
        self.db.in_atomic_block = False
        if exc[0] is None:
            self.db.commit()
        else:
            self.db.rollback()
        self.db.set_autocommit(True)


def test_execute_turn_is_the_path_of_statements_that_bypass_djangos_cursor(databases):
    """``core.prepared`` runs its statements on a plain sqlite3 cursor through ``Connection.execute_turn``."""
    a = databases["default"]
    a.ensure_connection()
    raw: backend.Connection = a.connection
    cursor = sqlite3.Cursor(raw)
    path = raw.turn_path
    seen: list[bool] = []

    def execute(cur, sql, params):
        seen.append(turn_is_free(path))
        return sqlite3.Cursor.execute(cur, sql, params)

    raw.execute_turn(cursor, execute, "INSERT INTO item (who) VALUES (?)", ["raw"])
    raw.execute_turn(cursor, execute, "SELECT COUNT(*) FROM item", [])
    assert seen == [False, True]  # the write ran in the turn, the read without one
    assert turn_is_free(path) and cursor.fetchone() == (1,)


def test_in_memory_databases_take_no_turns(django_db_blocker):
    django_db_blocker.unblock()
    handler = ConnectionHandler({"default": {"ENGINE": "gongzhi.core.sqlite", "NAME": ":memory:"}})
    mem = handler["default"]
    mem.cursor().execute("CREATE TABLE t (x INTEGER)")
    mem.cursor().execute("BEGIN IMMEDIATE")
    mem.cursor().execute("INSERT INTO t VALUES (1)")
    assert mem.connection.turn_path is None and not mem.connection._turn_held
    mem.commit()
    handler.close_all()
    django_db_blocker.restore()


PROCESS = """
import sys
from django.conf import settings
settings.configure(DATABASES={"default": dict(ENGINE="gongzhi.core.sqlite", NAME=sys.argv[1],
                   OPTIONS={"transaction_mode": "IMMEDIATE", "timeout": 20,
                            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"})})
import django
django.setup()
from django.db import connection, transaction
for i in range(int(sys.argv[3])):
    with transaction.atomic():
        with connection.cursor() as c:
            c.execute("SELECT COUNT(*) FROM item")
            c.execute("INSERT INTO item (who) VALUES (%s)", [sys.argv[2]])
    with connection.cursor() as c:
        c.execute("UPDATE item SET who = who WHERE id = 1")
"""


def test_processes_writing_at_once_all_get_through(databases):
    a = databases["default"]
    name = a.settings_dict["NAME"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    processes = [
        subprocess.Popen([sys.executable, "-c", PROCESS, name, who, "300"], env=env, stderr=subprocess.PIPE, text=True)
        for who in ("p1", "p2", "p3")
    ]
    for process in processes:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    assert [count(a, who) for who in ("p1", "p2", "p3")] == [300, 300, 300]
    assert turn_is_free(f"{name}-turn")


def test_a_connection_dropped_without_closing_gives_the_turn_back(tmp_path):
    import gc

    path = str(tmp_path / "db.sqlite3")
    raw = sqlite3.connect(path, factory=backend.Connection, isolation_level=None)
    raw.turn_path = f"{path}-turn"
    raw.execute_turn(raw.cursor(), sqlite3.Cursor.execute, "BEGIN IMMEDIATE", [])
    assert raw.in_transaction and not turn_is_free(raw.turn_path)
    del raw
    gc.collect()
    assert turn_is_free(f"{path}-turn")


# Checkpoints: SQLite's own (inside the commit that crosses 1,000 WAL pages, holding the write lock) is moved to a
# backstop; each connection checkpoints after its commits instead, outside its turn.


def _raw_file_connection(path: str) -> backend.Connection:
    handler = ConnectionHandler({"default": config.sqlite_database(Path(path))})
    db = handler["default"]
    db.ensure_connection()
    return db


def test_file_connections_checkpoint_after_their_commits_not_inside_them(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        db = _raw_file_connection(str(tmp_path))
        raw: backend.Connection = db.connection
        assert raw.checkpoints and raw.execute("PRAGMA wal_autocheckpoint").fetchone() == (backend.BACKSTOP_PAGES,)
        db.cursor().execute("CREATE TABLE blob (data BLOB)")
        raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
        raw._commits = 0
        main_file = tmp_path / "gongzhi.sqlite3"
        size_before = main_file.stat().st_size
        for _ in range(backend.CHECKPOINT_EVERY - 1):
            db.cursor().execute("BEGIN IMMEDIATE")
            db.cursor().execute("INSERT INTO blob VALUES (randomblob(8000))")
            db.commit()
        # The pages are still in the WAL: the database file has not grown by the blobs written.
        assert raw._commits == backend.CHECKPOINT_EVERY - 1 and main_file.stat().st_size == size_before
        db.cursor().execute("BEGIN IMMEDIATE")
        db.cursor().execute("INSERT INTO blob VALUES (randomblob(8000))")
        db.commit()  # the CHECKPOINT_EVERY-th: checkpointed, after the turn was given back
        assert raw._commits == 0 and not raw._turn_held
        assert main_file.stat().st_size - size_before > 60 * 8000
        db.close()


def test_a_checkpoint_that_cannot_run_now_never_fails_the_write_and_is_tried_again(
    tmp_path, django_db_blocker, monkeypatch
):
    monkeypatch.setattr(backend, "CHECKPOINT_EVERY", 1)  # every commit asks for one
    with django_db_blocker.unblock():
        db = _raw_file_connection(str(tmp_path))
        raw: backend.Connection = db.connection
        raw.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, who TEXT)")
        raw._commits = 0
        cursor = sqlite3.Cursor(raw)
        # RETURNING leaves the statement active until its row is read: a checkpoint now is "table is locked".
        raw.execute_turn(cursor, sqlite3.Cursor.execute, "INSERT INTO item (who) VALUES ('x') RETURNING id", [])
        assert raw._commits == 1  # not reset: the checkpoint did not run
        assert cursor.fetchall() == [(1,)]
        raw.execute_turn(cursor, sqlite3.Cursor.execute, "INSERT INTO item (who) VALUES ('y')", [])
        assert raw._commits == 0
        assert raw.execute("SELECT who FROM item ORDER BY id").fetchall() == [("x",), ("y",)]
        db.close()


@pytest.mark.django_db(transaction=True)
def test_core_prepared_writes_outside_a_transaction_in_the_turn_and_reads_without(tmp_path, monkeypatch):
    """The test database is in memory (no turn file): here it is given one, and every turn taken is recorded."""
    from datetime import date

    from django.db import connection

    from gongzhi.core import prepared
    from gongzhi.core.models import CalendarDay

    if connection.vendor != "sqlite":
        pytest.skip("the write turn is SQLite's")
    day = CalendarDay.objects.create(date=date(2031, 10, 1), is_workday=False, name="国庆节")
    connection.ensure_connection()
    raw: backend.Connection = connection.connection
    taken: list[bool] = []
    real_take = backend.Connection.take_turn

    def take(self: backend.Connection) -> None:
        taken.append(self.in_transaction)
        real_take(self)

    monkeypatch.setattr(raw, "turn_path", str(tmp_path / "turn"))
    monkeypatch.setattr(backend.Connection, "take_turn", take)
    try:
        row = prepared.get(CalendarDay, day.pk)
        assert taken == []  # a read
        row.name = "国庆节、中秋节"
        assert prepared.update(row, ("name",)) == 1
        assert taken == [False] and not raw._turn_held  # one write, in autocommit, its turn given back
    finally:
        raw.give_turn()
    assert CalendarDay.objects.get(pk=day.pk).name == "国庆节、中秋节"
