"""A real primary and a real streaming replica (``pg_basebackup -R``), started here: the read-only heavy paths read
the replica, the write path never reads a stale case, and a browser that wrote reads its own writes.

The replay is paused (``pg_wal_replay_pause()``) while a case is submitted, so the replica is stale for as long as
the test wants and what went where can be seen in what each page shows. Runs on any suite (it starts its own
servers); skipped without the PostgreSQL server binaries, except under CI=true, where that fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gongzhi.ops.pgserver import throwaway_primary_and_replica
from gongzhi.ops.tests.own_postgres import need_own_postgres

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres_pair")]


def _site(env: dict[str, str], command: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "gongzhi.ops.tests.replica_site", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _replica_lag(primary: str, replica: str, timeout: float = 30) -> float:
    import psycopg

    began = time.monotonic()
    with psycopg.connect(primary, autocommit=True) as p, psycopg.connect(replica, autocommit=True) as r:
        target = p.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        while time.monotonic() - began < timeout:
            if r.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:  # type: ignore[index]
                return time.monotonic() - began
            time.sleep(0.02)
    raise AssertionError(f"the replica did not replay up to {target} within {timeout} s")


def test_lists_read_the_replica_and_the_write_path_never_reads_a_stale_case(tmp_path: Path) -> None:
    need_own_postgres("the replica test")
    began = time.monotonic()
    with throwaway_primary_and_replica() as (primary, replica):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
        env |= {
            "DJANGO_SETTINGS_MODULE": "gongzhi.settings",
            "GONGZHI_DATA_DIR": str(tmp_path),
            "GONGZHI_DATABASE_URL": primary,
            "GONGZHI_DATABASE_REPLICA_URL": replica,
            "GONGZHI_ALLOWED_HOSTS": "testserver",
            "GONGZHI_SMS_BACKEND": "null",
        }
        assert _site(env, "migrate") == {"migrated": True}
        # The schema reached the replica by replication alone (migrations never run there).
        _replica_lag(primary, replica)
        import psycopg

        with psycopg.connect(replica, autocommit=True) as r:
            in_recovery, table = r.execute("SELECT pg_is_in_recovery(), to_regclass('cases_case')").fetchone()  # type: ignore[misc]
        assert in_recovery is True
        assert table == "cases_case"

        seen = _site(env, "scenario")
    print(f"replica scenario: {json.dumps(seen)}; {time.monotonic() - began:.1f} s in all")

    assert seen["replica_configured"] is True
    # Before the pause, the list came from the replica (and the old case was there).
    assert seen["before_pause"]["listed"] is True
    assert seen["before_pause"]["replica_queries"] >= 2  # the page of rows and its count
    # Paused: the new case is on the primary only, and the list (read from the replica) does not have it.
    assert seen["fresh_on_replica_while_paused"] == 0
    assert seen["list_while_paused"]["listed"] is False
    assert seen["old_listed_while_paused"] is True
    assert seen["dashboard"] == {"status": 200, "replica_queries": seen["dashboard"]["replica_queries"]}
    assert seen["dashboard"]["replica_queries"] >= 1
    assert seen["selector_in_block_sees_fresh"] is False  # a read inside the block, outside a transaction: replica
    # The write path: a service, even called inside a replica block, found the case on the primary and acted on it;
    # so did the console's action view, and the case page after it.
    assert seen["triaged_status"] == "triaged"
    assert seen["dispatch_answer"] == 302
    assert seen["wrote_cookie"] is True
    assert seen["case_page"] == 200
    assert seen["status_after_dispatch"] == "dispatched"
    # Read your writes: the one who acted sees the case in the list (from the primary: no replica query for it);
    # someone else still reads the paused replica.
    assert seen["list_after_own_write"]["listed"] is True
    assert seen["list_after_own_write"]["replica_queries"] == 0
    assert seen["list_of_someone_else"]["listed"] is False
    # Replay resumed: the replica catches up and the list shows the case to everyone.
    assert seen["list_after_resume"]["listed"] is True
    assert seen["list_after_resume"]["replica_queries"] >= 2
    # `gongzhi selfcheck` says so: a standby of this primary, caught up; paused (and behind) is a warning.
    assert seen["selfcheck_caught_up"]["status"] == "ok"
    assert seen["selfcheck_caught_up"]["paused"] is False
    assert seen["selfcheck_paused"]["status"] == "warning"
    assert seen["selfcheck_paused"]["paused"] is True
    assert seen["selfcheck_paused"]["bytes_behind"] > 0
    assert seen["selfcheck_resumed"]["status"] == "ok"


def test_selfcheck_has_nothing_to_say_without_a_replica() -> None:
    from gongzhi.ops import selfcheck

    assert selfcheck.check_replica() == []
