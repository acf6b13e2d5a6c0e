"""The replica setting and the routing around it (core.db), without a replica: the decisions, one by one.

The real thing — a primary and a streaming replica, the replay paused, a stale list and a fresh write path — is
``gongzhi/ops/tests/test_replica_cluster.py``.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory

from gongzhi import config
from gongzhi.core import db
from gongzhi.core.models import Throttle

# Any model of an app whose rows may be read a little late: a domain's (cases…) is the same to the router.
Case = ContentType

PRIMARY_URL = "postgres://gz@db1:5432/gongzhi"


def load(tmp_path, **env):  # type: ignore[no-untyped-def]
    return config.load({"GONGZHI_DATA_DIR": str(tmp_path), **env})


def test_replica_url_is_a_second_postgres_entry_mirrored_in_tests(tmp_path):
    cfg = load(
        tmp_path,
        GONGZHI_DATABASE_URL=PRIMARY_URL,
        GONGZHI_DATABASE_REPLICA_URL="postgres://reader:pw@db2:5433/gongzhi?sslmode=require",
    )
    replica = cfg.database_replica
    assert replica is not None
    assert (replica["HOST"], replica["PORT"], replica["USER"], replica["PASSWORD"]) == ("db2", "5433", "reader", "pw")
    assert replica["OPTIONS"] == {"sslmode": "require", "prepare_threshold": 5}
    assert replica["CONN_MAX_AGE"] == cfg.database["CONN_MAX_AGE"]
    assert replica["TEST"] == {"MIRROR": "default"}
    assert load(tmp_path, GONGZHI_DATABASE_URL=PRIMARY_URL).database_replica is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GONGZHI_DATABASE_REPLICA_URL": "postgres://db2/gongzhi"}, "needs a PostgreSQL primary"),
        (
            {"GONGZHI_DATABASE_URL": PRIMARY_URL, "GONGZHI_DATABASE_REPLICA_URL": "mysql://db2/gongzhi"},
            "GONGZHI_DATABASE_REPLICA_URL: only postgres:// URLs",
        ),
        (
            {"GONGZHI_DATABASE_URL": PRIMARY_URL, "GONGZHI_DATABASE_REPLICA_URL": "postgres://db2:5432/"},
            "GONGZHI_DATABASE_REPLICA_URL: the database name is missing",
        ),
        (
            {"GONGZHI_DATABASE_URL": PRIMARY_URL, "GONGZHI_DATABASE_REPLICA_URL": "postgres://other@db1:5432/gongzhi"},
            "names the primary database itself",
        ),
    ],
)
def test_unusable_replica_urls_are_refused_by_name(tmp_path, env, message):
    with pytest.raises(config.ConfigError, match=message):
        load(tmp_path, **env)


@pytest.fixture
def with_replica(monkeypatch):  # type: ignore[no-untyped-def]
    """As if GONGZHI_DATABASE_REPLICA_URL were set: the decisions only (no query runs here)."""
    monkeypatch.setattr(db, "replica_configured", lambda: True)


def test_without_a_replica_everything_reads_from_the_primary():
    router = db.ReplicaRouter()
    assert not db.replica_configured()  # the suite runs without one
    with db.reading_from_replica():
        assert router.db_for_read(Case) == db.PRIMARY


def test_reads_go_to_the_replica_only_inside_the_block(with_replica):
    router = db.ReplicaRouter()
    assert router.db_for_read(Case) == db.PRIMARY
    with db.reading_from_replica():
        assert router.db_for_read(Case) == db.REPLICA
        with db.reading_from_replica(False):
            assert router.db_for_read(Case) == db.PRIMARY
        assert router.db_for_read(Case) == db.REPLICA
        assert router.db_for_write(Case) == db.PRIMARY
    assert router.db_for_read(Case) == db.PRIMARY


def test_sessions_users_and_counters_and_reads_inside_a_transaction_stay_on_the_primary(with_replica, monkeypatch):
    from django.contrib.sessions.models import Session

    router = db.ReplicaRouter()
    with db.reading_from_replica():
        for model in (Session, get_user_model(), Throttle):
            assert router.db_for_read(model) == db.PRIMARY, model
        monkeypatch.setattr(connections[db.PRIMARY], "in_atomic_block", True)
        assert router.db_for_read(Case) == db.PRIMARY


def test_migrations_never_run_on_the_replica():
    router = db.ReplicaRouter()
    assert router.allow_migrate(db.REPLICA, "cases") is False
    assert router.allow_migrate(db.PRIMARY, "cases") is True


def _seen_by_view(request):  # type: ignore[no-untyped-def]
    seen: list[str] = []

    @db.replica_reads
    def view(request):  # type: ignore[no-untyped-def]
        seen.append(db.ReplicaRouter().db_for_read(Case))
        return HttpResponse("ok")

    view(request)
    return seen[0]


def test_a_browser_that_wrote_in_the_last_seconds_reads_from_the_primary(with_replica):
    factory = RequestFactory()
    assert _seen_by_view(factory.get("/")) == db.REPLICA
    fresh = factory.get("/")
    fresh.COOKIES[db.RECENT_WRITE_COOKIE] = f"{time.time() - 1:.3f}"
    assert _seen_by_view(fresh) == db.PRIMARY
    old = factory.get("/")
    old.COOKIES[db.RECENT_WRITE_COOKIE] = f"{time.time() - db.READ_YOUR_WRITES_SECONDS - 1:.3f}"
    assert _seen_by_view(old) == db.REPLICA
    garbage = factory.get("/")
    garbage.COOKIES[db.RECENT_WRITE_COOKIE] = "soon"
    assert _seen_by_view(garbage) == db.REPLICA


@pytest.mark.parametrize(
    ("method", "status", "stamped"), [("post", 302, True), ("post", 500, False), ("get", 200, False)]
)
def test_writes_are_stamped_on_the_answer(with_replica, method, status, stamped):
    middleware = db.RecentWriteMiddleware(lambda request: HttpResponse(status=status))
    before = time.time()
    response = middleware(getattr(RequestFactory(), method)("/"))
    cookie = response.cookies.get(db.RECENT_WRITE_COOKIE)
    assert (cookie is not None) == stamped
    if cookie is not None:
        assert before - 0.001 <= float(cookie.value) <= time.time() + 0.001  # written to the millisecond
        assert cookie["max-age"] == db.READ_YOUR_WRITES_SECONDS
        assert cookie["httponly"]


def test_without_a_replica_nothing_is_stamped():
    middleware = db.RecentWriteMiddleware(lambda request: HttpResponse(status=302))
    assert db.RECENT_WRITE_COOKIE not in middleware(RequestFactory().post("/")).cookies
