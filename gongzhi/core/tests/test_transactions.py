"""core.transactions.optimistic: on SQLite a transaction begins at its first write, and the rows read for update
before then must still be the same, or the function runs again with the lock taken first (core.sqlite.base)."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from django.db import connection, transaction

from gongzhi.core import prepared
from gongzhi.core.errors import PermissionDenied
from gongzhi.core.models import CalendarDay
from gongzhi.core.sqlite import base as backend
from gongzhi.core.tests.sqlite_files import count, turn_is_free
from gongzhi.core.transactions import begin_now, optimistic

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def raw(tmp_path, monkeypatch):
    """The test database's connection, given a turn file (in memory it has none) and a record of every turn taken:
    whether its transaction was open at the time."""
    if connection.vendor != "sqlite":
        pytest.skip("on PostgreSQL @optimistic is @transaction.atomic (the row is locked FOR UPDATE)")
    connection.ensure_connection()
    conn: backend.Connection = connection.connection
    conn.taken = []  # type: ignore[attr-defined]
    real_take = backend.Connection.take_turn

    def take(self: backend.Connection) -> None:
        if not self._turn_held:
            self.taken.append(self.in_transaction)  # type: ignore[attr-defined]
        real_take(self)

    monkeypatch.setattr(conn, "turn_path", str(tmp_path / "turn"))
    monkeypatch.setattr(backend.Connection, "take_turn", take)
    yield conn
    conn.give_turn()


def _day(raw: backend.Connection) -> CalendarDay:
    day = CalendarDay.objects.create(date=date(2031, 10, 1), is_workday=False, name="国庆节")
    raw.taken.clear()  # type: ignore[attr-defined]
    return day


def _other_writer_renames(raw: backend.Connection, pk: int, name: str) -> None:
    """What another connection's committed write looks like to this one: the row changed, outside its transaction."""
    sqlite3.Connection.execute(raw, "UPDATE core_calendarday SET name = ? WHERE id = ?", [name, pk])


def test_reads_and_checks_run_before_the_transaction_which_begins_at_the_first_write(raw):
    day = _day(raw)
    seen = {}

    @optimistic
    def rename(pk: int) -> CalendarDay:
        row = prepared.get(CalendarDay, pk, for_update=True)
        assert row is not None
        seen["after read"] = (raw.in_transaction, raw._turn_held, list(raw.taken))
        row.name = row.name + "、中秋节"
        prepared.update(row, ("name",))
        seen["after write"] = (raw.in_transaction, raw._turn_held)
        return row

    assert rename(day.pk).name == "国庆节、中秋节"
    assert seen["after read"] == (False, False, [])  # no BEGIN, no turn: beside the writer
    assert seen["after write"] == (True, True)
    assert raw.taken == [False]  # one turn, taken for the BEGIN at the first write
    assert not raw._turn_held and not raw.in_transaction and not raw.begin_put_off
    assert CalendarDay.objects.get(pk=day.pk).name == "国庆节、中秋节"


def test_a_row_changed_between_the_read_and_the_first_write_runs_the_function_again_under_the_lock(raw):
    day = _day(raw)
    runs: list[tuple[str, bool]] = []

    @optimistic
    def rename(pk: int) -> CalendarDay:
        row = prepared.get(CalendarDay, pk, for_update=True)
        assert row is not None
        runs.append((row.name, raw.in_transaction))
        if len(runs) == 1:
            _other_writer_renames(raw, pk, "中秋节")
        row.name = row.name + "（调整）"
        prepared.update(row, ("name",))
        return row

    assert rename(day.pk).name == "中秋节（调整）"
    # The first run read 国庆节 and wrote nothing; the second read inside its transaction (BEGIN at the start).
    assert runs == [("国庆节", False), ("中秋节", True)]
    assert CalendarDay.objects.get(pk=day.pk).name == "中秋节（调整）"
    assert not raw._turn_held and not raw.in_transaction
    assert raw.taken == [False, False]  # the first run's BEGIN (rolled back at the check), the second's BEGIN


def test_a_row_deleted_or_created_meanwhile_counts_as_changed(raw):
    day = _day(raw)
    runs: list[bool] = []

    @optimistic
    def touch(pk: int) -> bool:
        row = prepared.get(CalendarDay, pk, for_update=True)
        runs.append(row is not None)
        if len(runs) == 1:
            sqlite3.Connection.execute(raw, "DELETE FROM core_calendarday WHERE id = ?", [pk])
        CalendarDay.objects.create(date=date(2032, 1, 1), name="元旦")
        return row is not None

    assert touch(day.pk) is False  # the second run found no row
    assert runs == [True, False]
    assert list(CalendarDay.objects.values_list("name", flat=True)) == ["元旦"]  # created once, by the second run


def test_a_function_that_is_refused_before_writing_never_begins_and_never_takes_the_turn(raw):
    day = _day(raw)

    @optimistic
    def refuse(pk: int) -> None:
        prepared.get(CalendarDay, pk, for_update=True)
        raise PermissionDenied("not yours")

    @optimistic
    def look(pk: int) -> str:
        row = prepared.get(CalendarDay, pk, for_update=True)
        assert row is not None
        return row.name

    with pytest.raises(PermissionDenied):
        refuse(day.pk)
    assert look(day.pk) == "国庆节"
    assert raw.taken == [] and not raw.in_transaction and not raw.begin_put_off


def test_begin_now_makes_the_reads_after_it_the_transactions_own(raw):
    day = _day(raw)
    runs: list[str] = []

    @optimistic
    def check_then_write(pk: int) -> None:
        runs.append("started")
        prepared.get(CalendarDay, pk, for_update=True)
        if len(runs) == 1:
            _other_writer_renames(raw, pk, "中秋节")  # before begin_now: caught by its check
        begin_now()
        runs.append(f"in transaction: {raw.in_transaction}")
        CalendarDay.objects.create(date=date(2032, 1, 1), name="元旦")

    check_then_write(day.pk)
    # The first run stopped at begin_now's check; the second ran under the lock from the start.
    assert runs == ["started", "started", "in transaction: True"]
    assert CalendarDay.objects.filter(name="元旦").count() == 1


def test_inside_an_open_transaction_it_is_a_plain_atomic_block(raw):
    day = _day(raw)

    @optimistic
    def rename(pk: int) -> None:
        assert raw.in_transaction and not raw.begin_put_off
        row = prepared.get(CalendarDay, pk, for_update=True)
        assert row is not None
        row.name = "元旦"
        prepared.update(row, ("name",))

    with transaction.atomic():
        rename(day.pk)
        assert raw.taken == [False]  # the outer BEGIN took the turn at once
    assert CalendarDay.objects.get(pk=day.pk).name == "元旦"


def test_other_errors_are_not_retried_and_nothing_is_written(raw):
    day = _day(raw)
    runs = []

    @optimistic
    def fail_after_a_write(pk: int) -> None:
        runs.append(1)
        row = prepared.get(CalendarDay, pk, for_update=True)
        assert row is not None
        row.name = "元旦"
        prepared.update(row, ("name",))
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        fail_after_a_write(day.pk)
    assert runs == [1]
    assert CalendarDay.objects.get(pk=day.pk).name == "国庆节"
    assert not raw._turn_held and not raw.in_transaction


def test_two_file_connections_the_stale_one_writes_nothing_and_frees_the_turn(databases):
    """The backend's primitives between two real connections: ``a`` puts its BEGIN off and reads a row while ``b``
    writes; ``b`` changes that row and commits; ``a``'s first write finds it changed, rolls back, frees the turn."""
    a, b = databases["default"], databases["b"]
    path = f"{a.settings_dict['NAME']}-turn"
    a.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["first"])
    b.cursor().execute("BEGIN IMMEDIATE")
    b.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["b's open transaction"])

    with a.begin_at_first_write():
        a.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)  # what atomic() does
    rows = a.connection.execute("SELECT id, who FROM item WHERE id = 1").fetchall()
    assert rows == [(1, "first")] and not a.connection.in_transaction  # read beside b's transaction
    a.connection.guard("SELECT id, who FROM item WHERE id = ?", [1], rows)
    b.cursor().execute("UPDATE item SET who = %s WHERE id = 1", ["changed by b"])
    b.commit()

    with pytest.raises(backend.StaleRead):
        a.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["a, on a stale read"])
    assert not a.connection.in_transaction and turn_is_free(path)
    a.rollback()
    a.set_autocommit(True)
    assert count(a, "a, on a stale read") == 0 and count(a) == 2
    a.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["a again"])  # the connection is fine
    assert count(b, "a again") == 1
