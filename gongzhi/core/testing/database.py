"""Database helpers for tests."""

from __future__ import annotations

from gongzhi.core import prepared


def refresh_statistics() -> None:
    """ANALYZE on PostgreSQL after a test has written a district's worth of rows, as autovacuum does on a live site
    (``core.prepared.refresh_statistics``).

    Statistics outlive the test that made them (ANALYZE writes a table's row count in place, outside any
    transaction; ``analytics rebuild`` runs it): in one CI run the tables of a worker database were last analysed at
    its start, nearly empty, and the planner estimated one case where there were hundreds, so each board page's
    figures ran as nested loops for about a minute. Rows the test's own transaction has written are counted. SQLite
    has no such statistics to refresh.
    """
    prepared.refresh_statistics()
