"""`gongzhi bench faults` (issue 29): PostgreSQL restarted fast and then immediately under mixed intake (Open311, the
exchange API with Idempotency-Key, the resident's report form) — every case answered is there, whole, once per key;
every refusal a 503 with Retry-After, never a 500; and the clients' answers are counted as they were."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from gongzhi.ops.benchmarks import faults
from gongzhi.ops.tests.own_postgres import need_own_postgres

# ---------------------------------------------------------------------------------------- counting the answers


def _record(kind, marker, began, status, *, retry=False, ident="", kept=False):
    return [kind, marker, began, status, retry, ident, kept]


def test_the_answers_are_counted_as_they_were():
    restarts = [{"began": 10.0, "ended": 11.0}]
    records = [
        _record("open311", "a1", 1.0, 201, ident="pub1"),
        _record("open311", "a2", 10.5, 503, retry=True),
        _record("open311", "a3", 10.6, 503),  # no Retry-After
        _record("open311", "a4", 10.7, 500),
        _record("open311", "a5", 10.8, 0),  # the connection failed
        _record("portal", "p1", 12.0, 302, ident="ABCDEF2345"),
        _record("portal", "p2", 12.5, 302),  # a redirect, but not to a tracking page: not a report
        _record("portal", "p3", 10.9, 503, retry=True, kept=True),
        _record("api", "k1", 10.2, 503, retry=True),
        _record("api", "k1", 13.0, 201, ident="CODE1"),
        _record("api", "k2", 13.5, 201, ident="CODE2"),
        _record("api", "k2", 14.0, 200, ident="CODE3"),  # the same key answered with another case
        _record("api", "k3", 14.5, 503, retry=True),  # never answered
    ]

    summary = faults.summarise(records, restarts, stop_at=20.0)

    assert summary["sent"] == 13 and summary["ok"] == 5
    assert summary["503"] == 5 and summary["503_without_retry_after"] == 1
    assert summary["500"] == 1 and summary["other"] == 1 and summary["connection_errors"] == 1
    assert summary["ids"] == {"open311": ["pub1"], "api": ["CODE1", "CODE2", "CODE3"], "portal": ["ABCDEF2345"]}
    assert summary["keys_answered_twice"] == 1 and summary["keys_never_answered"] == 1
    assert summary["unanswered_markers"] == ["a2", "a3", "a4", "a5", "p2", "p3"]
    assert summary["portal_503"] == 1 and summary["portal_503_text_kept"] == 1
    assert restarts[0]["ok_after"] == 4 and restarts[0]["first_ok_after_s"] == 1.0
    assert restarts[0]["refused_after_back"] == 1  # p2, in the 2 s after PostgreSQL was back


# -------------------------------------------------------------------------------------------- the real restarts


@pytest.mark.slow
@pytest.mark.xdist_group("faults")
def test_postgresql_restarted_fast_and_immediately_loses_nothing_and_answers_503_not_500():
    need_own_postgres("the restart test")
    out = io.StringIO()
    call_command("bench", "faults", "--seconds", "12", "--restarts", "2", "--clients", "6", stdout=out)
    text = out.getvalue()
    figures = json.loads(text.strip().splitlines()[-1])

    assert [r["mode"] for r in figures["restarts"]] == ["fast", "immediate"]
    kinds = figures["by_kind"]
    assert {"open311", "api", "portal"} <= set(kinds), kinds
    assert figures["ok_2xx"] > 0 and figures["cases"] >= figures["ok_2xx"]
    assert figures["lost"] == 0, text
    assert figures["half_written"] == 0, text
    assert figures["duplicates_by_key"] == 0 and figures["keys_never_answered"] == 0, text
    assert figures["status_500"] == 0 and figures["other"] == 0 and figures["connection_errors"] == 0, text
    assert figures["status_503_without_retry_after"] == 0, text
    assert figures["portal_503_text_kept"] == figures["portal_503"], text  # the report form gives the text back
    # Every answer was a 2xx (the report form: its redirect to the tracking page) or a 503 with Retry-After.
    assert figures["sent"] == figures["ok_2xx"] + figures["status_503"], text
    for restart in figures["restarts"]:
        assert restart["postgres_down_s"] > 0 and restart["ok_after"] > 0, restart
        # A connection that died with the old server is replaced by the next request, not used for one more 503.
        assert restart["refused_after_back"] == 0, restart
    assert figures["pass"] is True
    assert "restart -m immediate" in text and "lost (2xx, not in the database): 0" in text
