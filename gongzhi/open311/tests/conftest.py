import pytest

from gongzhi.open311 import cache


@pytest.fixture(autouse=True)
def _empty_open311_cache():
    """Each test starts with empty per-process caches (a rolled-back test sends no delete signals)."""
    cache.clear()
    yield
    cache.clear()
