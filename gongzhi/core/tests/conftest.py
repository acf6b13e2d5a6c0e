"""Fixtures of core's tests."""

from __future__ import annotations

import pytest
from django.db.utils import ConnectionHandler

from gongzhi import config


@pytest.fixture
def databases(tmp_path, django_db_blocker):
    """A connection handler with connections ``default`` and ``b`` (and ``quick``, timeout 0.3 s) to one file
    database, configured as gongzhi configures SQLite, with one table."""
    settings = config.sqlite_database(tmp_path)
    quick = {**settings, "OPTIONS": {**settings["OPTIONS"], "timeout": 0.3}}  # type: ignore[dict-item]
    handler = ConnectionHandler({"default": settings, "b": settings, "quick": quick})
    with django_db_blocker.unblock():  # pytest-django guards Django's own databases; these are the test's files
        with handler["default"].cursor() as cursor:
            cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, who TEXT NOT NULL)")
        yield handler
        handler.close_all()
