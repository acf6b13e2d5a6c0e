"""The replica scenario, driven in its own process (``python -m gongzhi.ops.tests.replica_site``) against the primary
and the streaming replica named by GONGZHI_DATABASE_URL and GONGZHI_DATABASE_REPLICA_URL (test_replica_cluster.py):

- ``migrate``: the schema, on the primary (the router keeps migrations off the replica);
- ``scenario``: a district with staff and a case; once the replica has caught up its replay is paused
  (``pg_wal_replay_pause()``), a resident submits a case, and what each read saw — the lists, the dashboard, the
  write path, read-your-writes, the replay resumed — is printed as JSON for the test to judge.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def wait_for_replica(timeout: float = 30) -> float:
    """Seconds until the replica has replayed everything the primary has written so far."""
    from django.db import connections

    began = time.monotonic()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    with connections["replica"].cursor() as cursor:
        while time.monotonic() - began < timeout:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return time.monotonic() - began
            time.sleep(0.02)
    raise RuntimeError(f"the replica did not reach {target} within {timeout} s")


def replay(paused: bool) -> None:
    from django.db import connections

    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")


def scenario() -> dict[str, Any]:
    from django.conf import settings
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from gongzhi.cases import selectors as case_selectors
    from gongzhi.cases import services
    from gongzhi.cases.models import Case
    from gongzhi.cases.tests.factories import world
    from gongzhi.core import db
    from gongzhi.core.errors import NotFound
    from gongzhi.ops import selfcheck

    def replica_check() -> dict[str, Any]:
        (finding,) = selfcheck.check_replica()
        return {"status": finding.status, **finding.details}

    # Pages render without collected static files, as in the suite (gongzhi/conftest.py).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    out: dict[str, Any] = {"replica_configured": db.replica_configured()}
    w = world()
    old = w.submit(title="路灯不亮")
    out["caught_up_s"] = round(wait_for_replica(), 3)

    dispatcher, centre = Client(), Client()
    dispatcher.force_login(w.dispatcher)
    centre.force_login(w.centre)
    cases_url = reverse("console:cases")

    def listed(client: Client, case: Case) -> dict[str, Any]:
        link = reverse("console:case", args=[case.pk])
        with (
            CaptureQueriesContext(connections["replica"]) as on_replica,
            CaptureQueriesContext(connections["default"]) as on_primary,
        ):
            response = client.get(cases_url)
        assert response.status_code == 200, response.status_code
        return {
            "listed": f'href="{link}"' in response.content.decode(),
            "replica_queries": len(on_replica),
            "primary_queries": len(on_primary),
        }

    out["before_pause"] = listed(centre, old)
    out["selfcheck_caught_up"] = replica_check()

    replay(paused=True)
    fresh = w.submit(title="楼道里堆满杂物")  # a resident's report, on the primary
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case WHERE id = %s", [fresh.pk])
        out["fresh_on_replica_while_paused"] = cursor.fetchone()[0]

    out["selfcheck_paused"] = replica_check()
    # Read-only heavy paths read the replica: the new case is not there yet.
    out["list_while_paused"] = listed(centre, fresh)
    out["old_listed_while_paused"] = listed(centre, old)["listed"]
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        dashboard = centre.get(reverse("analytics:dashboard", args=[w.district.pk]))
    out["dashboard"] = {"status": dashboard.status_code, "replica_queries": len(on_replica)}
    with db.reading_from_replica():
        try:
            case_selectors.case_for(w.dispatcher, fresh.pk)
            out["selector_in_block_sees_fresh"] = True
        except NotFound:
            out["selector_in_block_sees_fresh"] = False

    # The write path reads the primary — even a service called inside a replica block: its transaction locks and
    # re-reads the case on the primary.
    with db.reading_from_replica():
        triaged = services.triage(case=fresh, actor=w.dispatcher, category=w.category)
    out["triaged_status"] = triaged.status
    # The case page after an action, over HTTP: a POST acts, its redirect shows the case as it now is.
    action = dispatcher.post(
        reverse("console:case_action", args=[fresh.pk, "dispatch"]), {"target": f"pool:{w.micro.pk}"}
    )
    out["dispatch_answer"] = action.status_code
    out["wrote_cookie"] = db.RECENT_WRITE_COOKIE in action.cookies
    page = dispatcher.get(reverse("console:case", args=[fresh.pk]))
    out["case_page"] = page.status_code
    out["status_after_dispatch"] = Case.objects.get(pk=fresh.pk).status

    # Read your writes: the dispatcher who just acted sees the case in the list (from the primary); the centre, who
    # wrote nothing, still reads the paused replica.
    out["list_after_own_write"] = listed(dispatcher, fresh)
    out["list_of_someone_else"] = listed(centre, fresh)

    replay(paused=False)
    out["caught_up_after_resume_s"] = round(wait_for_replica(), 3)
    out["list_after_resume"] = listed(centre, fresh)
    out["selfcheck_resumed"] = replica_check()
    return out


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    django.setup()
    command = sys.argv[1]
    if command == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(json.dumps({"migrated": True}))
    elif command == "scenario":
        print(json.dumps(scenario()))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
