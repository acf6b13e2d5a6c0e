"""Helpers for tests on file databases of gongzhi's SQLite backend (the ``databases`` fixture is in conftest)."""

from __future__ import annotations

import fcntl
import os


def turn_is_free(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def count(db, who: str | None = None) -> int:
    with db.cursor() as cursor:
        if who is None:
            cursor.execute("SELECT COUNT(*) FROM item")
        else:
            cursor.execute("SELECT COUNT(*) FROM item WHERE who = %s", [who])
        return cursor.fetchone()[0]
