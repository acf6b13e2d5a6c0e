"""Project-wide pytest setup."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

# Property tests check behaviour, not speed (speed is the benchmarks' job, `gongzhi bench`): no per-example
# deadline and no "too slow" health check, which fail on a loaded machine (two test workers, a browser) and on
# nothing else. Every test's own @settings still sets its number of examples.
settings.register_profile("gongzhi", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("gongzhi")


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
    # A rolled-back test's ids are handed out again to the next test: never let one test's cached rows (boundaries,
    # calendar days, catalogue, triage models, place names …) describe the next test's. Every per-process cache is
    # registered with core.caches.
    from gongzhi.core import caches

    caches.forget_all()
    yield
    caches.forget_all()


@pytest.fixture
def browser_session(live_server):
    """A Chromium session against the live server (core.testing.browser); tests that use it are marked ``browser``."""
    from gongzhi.core.testing.browser import browser_session_on

    yield from browser_session_on(live_server)
