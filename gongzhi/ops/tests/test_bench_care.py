"""`gongzhi bench care` is registered with its options, makes valid distinct people and a ledger that forms
households, refuses SQLite, and (PostgreSQL run) measures a small registry end to end."""

from __future__ import annotations

import io
import json
from argparse import ArgumentParser
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from gongzhi.care import idcard
from gongzhi.ops import benchmarks
from gongzhi.ops.benchmarks import care


def test_registered_with_its_options() -> None:
    bench = benchmarks.registry()["care"]
    assert bench.run is care.run
    parser = ArgumentParser()
    assert bench.add_arguments is not None
    bench.add_arguments(parser)
    options = vars(parser.parse_args(["--residents", "5000", "--import-rows", "0", "--samples", "20"]))
    assert (options["residents"], options["import_rows"], options["samples"], options["quick"]) == (5000, 0, 20, False)
    assert care._sizes(options) == (5000, 0, 5000, 20)
    assert care._sizes({"quick": True}) == (20_000, 5_000, 5_000, 30)


def test_people_are_valid_and_distinct() -> None:
    today = date(2026, 12, 7)
    people = [*range(3000), *range(999_000, 1_000_000)]
    numbers = [care.person_id(i) for i in people]
    assert len(set(numbers)) == len(numbers)
    for number in numbers[:200] + numbers[-200:]:
        assert idcard.parse(number, today=today).region == care.REGION
    assert len({care.person_phone(i) for i in people}) == len(people)
    names = {care.person_name(i) for i in range(20_000)}
    assert 5_000 < len(names) < 20_000  # common names repeat, as in a real registry


def test_the_ledger_forms_households_of_one_building() -> None:
    rows = list(care.ledger_rows(1000, ["B1", "B2", "B3"]))
    assert len(rows) == 1000
    households: dict[str, set[str]] = {}
    heads: dict[str, int] = {}
    for row in rows:
        households.setdefault(row[0], set()).add(row[1])
        heads[row[0]] = heads.get(row[0], 0) + (row[6] == "户主")
    assert all(len(buildings) == 1 for buildings in households.values())
    assert set(heads.values()) == {1}
    assert 250 < len(households) < 600
    assert all(bool(row[9]) == bool(row[10]) for row in rows)  # a level always has its reason


@pytest.mark.django_db
def test_refuses_sqlite() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("this checks the refusal on SQLite")
    with pytest.raises(RuntimeError, match="measures PostgreSQL"):
        care._worker({"quick": True})


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_small_run_on_postgresql(settings, tmp_path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("measures PostgreSQL")
    settings.MEDIA_ROOT = tmp_path
    out = io.StringIO()
    call_command(
        "bench", "care", "--use-current", "--residents", "3000", "--import-rows", "600", "--grid-residents", "800",
        "--samples", "5", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    figures = json.loads(text.strip().splitlines()[-1])
    assert figures["import_result"]["residents"] == 600 and figures["residents"] == 3000
    assert figures["grid_residents"] >= 800
    for who in ("steward", "street_staff"):
        for kind in care.KINDS:
            assert figures[f"{who}_{kind}_p95_ms"] > 0
    assert figures["overdue_rows"] > 0 and figures["due_visits_rows"] >= figures["overdue_rows"]
    assert "rows/s" in text and "search as steward" in text
