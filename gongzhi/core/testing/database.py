"""Database helpers for tests."""

from __future__ import annotations

from django.db import connection


def refresh_statistics() -> None:
    """ANALYZE on PostgreSQL after a test has written a district's worth of rows, as autovacuum does on a live site.

    ANALYZE writes a table's row count in place, outside any transaction: when an earlier test in the same worker
    database analysed the tables while they were empty (``analytics rebuild`` does), the planner goes on believing
    they are, and a public page's figures ran as nested loops over thousands of cases — a minute a page. Rows that
    the test's own transaction has written are counted. SQLite has no such statistics to refresh.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
