"""`gongzhi bench api`: the ceiling views do exactly pgbench's statements (and refuse bad input), only the benchmark's
own server routes to them, and the whole benchmark runs and reports every phase, before and after filling cases and
a burst at one spot."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from gongzhi.ops.benchmarks import api, ceiling


@pytest.fixture
def ceiling_site(settings):
    settings.ROOT_URLCONF = "gongzhi.ops.benchmarks.ceiling"
    ceiling.create_table(rows=60)
    return Client()


def _rows() -> list[tuple[int, int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, a, b FROM {ceiling.TABLE} ORDER BY id")  # noqa: S608
        return cursor.fetchall()


@pytest.mark.django_db
def test_the_read_view_answers_pgbench_s_twenty_rows(ceiling_site):
    response = ceiling_site.get("/_ceiling/read20", {"s": "7"})
    assert response.status_code == 200
    rows = response.json()
    assert [r["id"] for r in rows] == list(range(7, 27))
    assert rows[0]["a"] == 7 and rows[0]["b"] == "row 7"
    assert ceiling_site.get("/_ceiling/read20", {"s": "59"}).json()[-1]["id"] == 60  # the table ends there
    assert ceiling_site.get("/_ceiling/nothing").json() == [{"ok": True}]


@pytest.mark.django_db
def test_the_insert_view_writes_one_row_and_refuses_bad_input(ceiling_site):
    before = _rows()
    response = ceiling_site.post("/_ceiling/insert", {"a": "42"})
    assert response.status_code == 201
    new_id = int(response.json()[0]["id"])
    after = _rows()
    assert len(after) == len(before) + 1 and after[-1] == (new_id, 42, "x")
    for bad in ({"a": "x"}, {}):
        refused = ceiling_site.post("/_ceiling/insert", bad)
        assert refused.status_code == 400 and refused.json()[0]["code"] == 400
    assert ceiling_site.get("/_ceiling/insert").status_code == 405
    assert ceiling_site.get("/_ceiling/read20", {"s": "one"}).status_code == 400
    assert _rows() == after  # nothing written by the refusals


@pytest.mark.django_db
def test_the_ceiling_server_still_serves_gongzhi_and_production_has_no_ceiling(settings):
    settings.ROOT_URLCONF = "gongzhi.ops.benchmarks.ceiling"
    assert Client().get("/open311/v2/discovery.json").status_code == 200
    settings.ROOT_URLCONF = "gongzhi.urls"
    assert Client().get("/_ceiling/nothing").status_code == 404
    assert Client().post("/_ceiling/insert", {"a": "1"}).status_code == 404


@pytest.mark.slow
@pytest.mark.django_db
def test_bench_api_reports_every_phase_and_the_ceiling(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("starts its own PostgreSQL cluster; runs once, in the PostgreSQL run of the suite")
    from gongzhi.ops.pgserver import PostgresUnavailable, find_bindir

    try:
        if not (find_bindir() / "pgbench").exists():
            pytest.skip("pgbench missing: install the Debian package postgresql-contrib")
    except PostgresUnavailable:
        pytest.skip("PostgreSQL server binaries missing: install the Debian package postgresql")
    out = io.StringIO()
    call_command("bench", "api", "--seconds", "1", "--clients", "2", "--cases", "3000", "--similar", "400", stdout=out)
    text = out.getvalue()
    figures = json.loads(text.strip().splitlines()[-1])
    for name in ("post", "exchange", "list", "list1000", "get", "burst", "fresh", "post_at_0", "exchange_at_0"):
        assert figures[f"{name}_req_per_s"] > 0, name
    for name in ("ceiling_nothing", "ceiling_read20", "ceiling_insert"):
        assert figures[f"{name}_req_per_s"] > 0, name
    assert figures["cases"] == 3000 and figures["similar"] == 400
    assert figures["raw_insert_tps"] > 0 and figures["raw_read20_tps"] > 0
    assert figures["get_ratio"] == pytest.approx(figures["get_req_per_s"] / figures["raw_read20_tps"], rel=0.01)
    assert figures["ceiling_read20_ratio"] == pytest.approx(
        figures["ceiling_read20_req_per_s"] / figures["raw_read20_tps"], rel=0.01
    )
    assert figures["post_flatness"] == pytest.approx(
        figures["post_req_per_s"] / figures["post_at_0_req_per_s"], rel=0.01
    )
    assert figures["burst_ratio"] == pytest.approx(figures["burst_req_per_s"] / figures["fresh_req_per_s"], rel=0.01)
    assert figures["post_minimal_ratio"] == pytest.approx(
        figures["post_req_per_s"] / figures["ceiling_insert_req_per_s"], rel=0.01
    )
    assert figures["budget_ratio"] == api.BUDGET_RATIO and figures["pass"] is (
        figures["post_ratio"] >= api.BUDGET_RATIO
        and figures["get_ratio"] >= api.BUDGET_RATIO
        and figures["list_req_per_s"] >= api.LIST_BUDGET_RPS
        and figures["post_minimal_ratio"] >= api.MINIMAL_BUDGET
        and min(figures["post_flatness"], figures["exchange_flatness"]) >= api.FLAT_BUDGET
        and figures["burst_ratio"] >= api.FLAT_BUDGET
    )
    assert "minimal view, pgbench's SELECT" in text and "at 3,000 cases" in text and "burst:" in text
