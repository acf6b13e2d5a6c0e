"""`gongzhi bench console` is registered and refuses a database it does not measure (SQLite)."""

from __future__ import annotations

import pytest

from gongzhi.ops import benchmarks
from gongzhi.ops.benchmarks import console


def test_registered_with_its_options():
    bench = benchmarks.registry()["console"]
    assert bench.run is console.run
    from argparse import ArgumentParser

    parser = ArgumentParser()
    bench.add_arguments(parser)
    options = vars(parser.parse_args(["--cases", "5000", "--samples", "20"]))
    assert (options["cases"], options["samples"], options["use_current"]) == (5000, 20, False)


@pytest.mark.django_db
def test_refuses_sqlite(settings):
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("this checks the refusal on SQLite")
    with pytest.raises(RuntimeError, match="measures PostgreSQL"):
        console._worker(10, 1)


def test_percentile():
    assert console._percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert console._percentile([10.0, 20.0], 0.95) == pytest.approx(19.5)
