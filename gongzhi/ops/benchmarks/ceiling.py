"""What the web stack itself serves: minimal Django views for ``gongzhi bench api``'s ceiling phases.

The views do exactly what pgbench does in the same run — the single-row INSERT and the 20-row SELECT on the
``bench_raw`` table — or nothing at all, behind the same middleware, server command and clients as the Open311
endpoints. Their rates are the most any Django view that touches PostgreSQL once can serve on the machine, which is
what the Open311 figures are judged against. Only the benchmark's own server routes here (``ceiling_settings`` sets
this URLconf); the production URLconf never includes it.
"""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from gongzhi.core import prepared

TABLE = "bench_raw"
ROWS = 100_000
READ_ROWS = 20


def create_table(rows: int = ROWS) -> None:
    """The raw-rate table (pgbench's INSERT and SELECT use it too), filled with ``rows`` rows."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, a int NOT NULL, b text NOT NULL, "
                "at timestamptz NOT NULL DEFAULT now())"
            )
            cursor.execute(f"INSERT INTO {TABLE} (a, b) SELECT g, 'row ' || g FROM generate_series(1, %s) g", [rows])  # noqa: S608
            cursor.execute(f"ANALYZE {TABLE}")
        else:  # the tests' SQLite
            cursor.execute(
                f"CREATE TABLE {TABLE} (id integer PRIMARY KEY AUTOINCREMENT, a int NOT NULL, b text NOT NULL, "
                "at text NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            cursor.execute(
                f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "  # noqa: S608
                f"INSERT INTO {TABLE} (a, b) SELECT n, 'row ' || n FROM g",
                [rows],
            )


# The statements run as the hot paths' own do (core.prepared: prepared once per connection on PostgreSQL), so the
# ceiling is the best a Django view gets here, not one slowed by planning every statement.
_READ = f"SELECT id, a, b, at FROM {TABLE} WHERE id BETWEEN %s AND %s"  # noqa: S608 - our own table name
_INSERT = f"INSERT INTO {TABLE} (a, b) VALUES (%s, 'x') RETURNING id"  # noqa: S608


def _json(data: object, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


def nothing(request: HttpRequest) -> HttpResponse:
    """No database: the server, the middleware and the clients alone."""
    return _json([{"ok": True}])


def read20(request: HttpRequest) -> HttpResponse:
    """pgbench's 20-row SELECT, the rows as JSON."""
    try:
        start = int(request.GET.get("s", ""))
    except ValueError:
        return _json([{"code": 400, "description": "s: expected an integer"}], status=400)
    found = prepared.fetch(_READ, [start, start + READ_ROWS - 1])
    return _json([{"id": i, "a": a, "b": b, "at": str(at)} for i, a, b, at in found])


@csrf_exempt
def insert(request: HttpRequest) -> HttpResponse:
    """pgbench's single-row INSERT (answering with the new id, as a POST of a request does)."""
    if request.method != "POST":
        return _json([{"code": 405, "description": "POST only"}], status=405)
    try:
        value = int(request.POST.get("a", ""))
    except ValueError:
        return _json([{"code": 400, "description": "a: expected an integer"}], status=400)
    ((new_id,),) = prepared.fetch(_INSERT, [value])
    return _json([{"id": str(new_id)}], status=201)


urlpatterns = [
    path("_ceiling/nothing", nothing),
    path("_ceiling/read20", read20),
    path("_ceiling/insert", insert),
    path("", include("gongzhi.urls")),
]
