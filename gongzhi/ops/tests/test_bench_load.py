"""`gongzhi bench load`: residents, staff and partner systems together against the production server; a short run
answers every kind of request as expected, with no error, and reports each kind."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from gongzhi.ops.benchmarks import load
from gongzhi.ops.tests.own_postgres import need_own_postgres


@pytest.mark.slow
@pytest.mark.django_db
def test_a_short_mixed_load_answers_every_kind_of_request_without_an_error():
    need_own_postgres("bench load")
    out = io.StringIO()
    call_command("bench", "load", "--seconds", "6", "--clients", "16", "--cases", "500", stdout=out)
    text = out.getvalue()
    figures = json.loads(text.strip().splitlines()[-1])
    assert set(figures["kinds"]) == set(load.EXPECTED)
    for kind, row in figures["kinds"].items():
        assert row["ok"] > 0 and row["errors"] == 0, (kind, row)
        assert row["p95_ms"] >= row["p50_ms"] > 0, kind
    assert figures["ok"] == sum(row["ok"] for row in figures["kinds"].values()) and figures["errors"] == 0
    assert "report_post" in text and "req/s" in text
