"""Project-wide pytest setup."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _quiet_sms(settings):
    # Text messages go to an in-memory outbox in tests (no console noise, nothing leaves the process).
    settings.GONGZHI_SMS_BACKEND = "locmem"


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs `collectstatic`; tests render templates straight from the source static files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    # Each test builds its own boundaries and calendar days; never let one test's caches leak into the next.
    from gongzhi.cases import catalogue_cache
    from gongzhi.core import calendar_days
    from gongzhi.grid import location, selectors

    def forget() -> None:
        location.invalidate()
        calendar_days.invalidate()
        catalogue_cache.invalidate()
        selectors.forget_nodes()

    forget()
    yield
    forget()
