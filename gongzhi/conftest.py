"""Project-wide pytest setup."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs `collectstatic`; tests render templates straight from the source static files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_geo_cache():
    # Each test builds its own boundaries; never let one test's geo index leak into the next.
    from gongzhi.grid import location

    location.invalidate()
    yield
    location.invalidate()
