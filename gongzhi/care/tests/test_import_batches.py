"""On SQLite a ledger is written one committed batch at a time (a long import must not hold the database's one write
lock for a minute): still all or nothing — a batch that fails after others committed takes them back out. A bad row
writes nothing (the check comes first): ``console/tests/test_care_import.py`` and ``ops/tests/test_import_wait.py``,
which also measures residents' reports beside an import."""

from __future__ import annotations

import pytest
from django.db import connection

from gongzhi.care import importer
from gongzhi.care.models import Household, LevelChange, Move, Resident
from gongzhi.care.tests.factories import CareWorld, care_world, id_number
from gongzhi.care.tests.test_importer import AT, row, run_check
from gongzhi.grid.tests.factories import BuildingFactory


@pytest.fixture
def world() -> CareWorld:
    world = care_world()
    BuildingFactory(node=world.micro_grid, jurisdiction=world.district.jurisdiction, code="B-1")
    return world


def counts() -> tuple[int, ...]:
    links = Resident.groups.through.objects.count()
    return (
        Household.objects.count(),
        Resident.objects.count(),
        Move.objects.count(),
        LevelChange.objects.count(),
        links,
    )


def ledger(first: int, n: int) -> list[importer.LedgerRow]:
    return [
        row(line, ledger=f"H{line // 2}", id_number=id_number(), relation="户主" if line % 2 == 0 else "子女")
        for line in range(first, first + n)
    ]


def test_sqlite_commits_per_batch_by_default_postgresql_does_not() -> None:
    assert importer.commits_per_batch() is (connection.vendor == "sqlite")


@pytest.mark.django_db(transaction=True)
def test_batches_really_commit_and_a_later_failure_takes_them_all_back(world) -> None:
    earlier, found = run_check(world, ledger(100, 2))
    assert found == []
    importer.write(earlier, actor=world.staff, at=AT, per_batch=True, batch_size=3)
    before = counts()
    assert before[1] == 2

    checked, found = run_check(world, ledger(2, 20))
    assert found == []
    seen: list[tuple[int, bool]] = []

    def dies_in_the_fourth_batch(done: int, total: int) -> None:
        seen.append((done, connection.in_atomic_block))
        if done > 9:
            raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="disk is full"):
        importer.write(
            checked, actor=world.staff, at=AT, per_batch=True, batch_size=3, progress=dies_in_the_fourth_batch
        )
    # Three batches had committed (no transaction open between them) before the fourth failed …
    assert seen == [(3, False), (6, False), (9, False), (12, False)]
    # … and none of their rows is left; the earlier import is untouched.
    assert counts() == before
    assert Household.objects.filter(head__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_one_transaction_when_asked_as_on_postgresql(world) -> None:
    checked, found = run_check(world, ledger(2, 7))
    assert found == []
    seen: list[bool] = []
    importer.write(
        checked,
        actor=world.staff,
        at=AT,
        per_batch=False,
        batch_size=3,
        progress=lambda d, t: seen.append(connection.in_atomic_block),
    )
    assert seen == [True, True, True] and counts()[1] == 7
