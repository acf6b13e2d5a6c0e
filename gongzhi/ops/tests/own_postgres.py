"""The guard of a test that starts PostgreSQL clusters of its own (benchmarks, a replica, several processes)."""

from __future__ import annotations

import os

import pytest


def need_own_postgres(what: str) -> None:
    """Such a test never touches the suite's database, so it runs once per run, in the PostgreSQL pass. Without the
    server binaries it is skipped with the package to install, except under CI=true, where that fails."""
    from django.conf import settings

    from gongzhi.ops.pgserver import PostgresUnavailable, find_bindir

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip(f"{what} starts its own PostgreSQL; it runs once, in the PostgreSQL run of the suite")
    try:
        find_bindir()
    except PostgresUnavailable as exc:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{exc}: CI must run {what}", pytrace=False)
        pytest.skip(f"{exc}: {what} needs its own cluster")
