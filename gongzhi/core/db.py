"""Reads from a PostgreSQL streaming replica (``GONGZHI_DATABASE_REPLICA_URL``), opted into by view.

Nothing is routed globally. A view that only reads, and reads a lot — the command centre's dashboards, the console's
case lists and exports, the public board — runs under ``@replica_reads`` (or a block under
``reading_from_replica()``); every other query goes to the primary. Inside the block a query still goes to the
primary when

- it runs inside a transaction on the primary (a service: ``select_for_update``, the rows a write decides on);
- it reads a table whose staleness is a security or login matter: sessions, users, rate-limit counters (the
  ``PRIMARY_ONLY_APPS``);
- the browser wrote something in the last ``READ_YOUR_WRITES_SECONDS`` (``RecentWriteMiddleware`` stamps a cookie on
  the answer to every POST, PUT, PATCH or DELETE): a staff member who acted on a case and is sent back to the list
  sees the list with that action in it, not the replica's copy from before it.

Without a replica nothing changes: the block is a no-op and the router sends everything to ``default``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

PRIMARY: str = DEFAULT_DB_ALIAS
REPLICA = "replica"
# Longer than the replica lag we accept (streaming replication on a LAN is milliseconds; a replica that lags more
# should be taken out of the settings), short enough that a busy dispatcher soon reads from the replica again.
READ_YOUR_WRITES_SECONDS = 10
RECENT_WRITE_COOKIE = "gz_wrote"
PRIMARY_ONLY_APPS = frozenset({"sessions", "accounts", "auth", "core"})
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_reading_from_replica: ContextVar[bool] = ContextVar("gongzhi_reading_from_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reading_from_replica(enabled: bool = True) -> Iterator[None]:
    """Reads in the block go to the replica (when one is configured and the router allows it)."""
    token = _reading_from_replica.set(enabled and replica_configured())
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def wrote_recently(request: HttpRequest, *, now: float | None = None) -> bool:
    """True while this browser's last write is younger than READ_YOUR_WRITES_SECONDS (clock skew between web
    servers is far below that)."""
    stamp = request.COOKIES.get(RECENT_WRITE_COOKIE, "")
    try:
        wrote_at = float(stamp)
    except ValueError:
        return False
    age = (time.time() if now is None else now) - wrote_at
    return -READ_YOUR_WRITES_SECONDS < age < READ_YOUR_WRITES_SECONDS


def replica_reads[**P, R](view: Callable[P, R]) -> Callable[P, R]:
    """Run a read-only view's queries on the replica, unless this browser wrote in the last few seconds.

    Put it below ``@login_required`` so the session and the user are read (from the primary) before the block. A
    lazy response (a streamed file whose rows are read as it is sent) reads from the primary, after the block.
    """

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        request = args[0]
        assert isinstance(request, HttpRequest)
        with reading_from_replica(not wrote_recently(request)):
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: the replica only for reads inside ``reading_from_replica`` outside a primary
    transaction; everything else, and every write, on the primary. An instance read from the replica is saved to the
    primary (``db_for_write``) and its relations outside the block are read from the primary too."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if not _reading_from_replica.get() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows on both

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db != REPLICA  # a hot standby is read-only; it receives the schema by replication


class RecentWriteMiddleware:
    """Stamps the time of a write (an answer to POST, PUT, PATCH or DELETE below 500) in a cookie, so that browser's
    next reads, on whichever web server, go to the primary for READ_YOUR_WRITES_SECONDS. Only with a replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method in _UNSAFE_METHODS and response.status_code < 500 and replica_configured():
            response.set_cookie(
                RECENT_WRITE_COOKIE,
                f"{time.time():.3f}",
                max_age=READ_YOUR_WRITES_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
