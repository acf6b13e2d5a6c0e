from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_triage_caches():
    """Models, thresholds and place names are cached per process by jurisdiction id; ids repeat across tests."""
    from gongzhi.routing import services

    services.invalidate()
    yield
    services.invalidate()
