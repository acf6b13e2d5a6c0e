"""Project-wide pytest setup."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_geo_cache():
    # Each test builds its own boundaries; never let one test's geo index leak into the next.
    from gongzhi.grid import location

    location.invalidate()
    yield
    location.invalidate()
