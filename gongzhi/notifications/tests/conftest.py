from __future__ import annotations

import pytest

from gongzhi.notifications import backends, messages


@pytest.fixture
def sms_outbox(settings):
    """Send text messages into ``backends.outbox`` (in memory) and start with it empty."""
    settings.GONGZHI_SMS_BACKEND = "locmem"
    settings.GONGZHI_SMS_OPTIONS = {}
    settings.GONGZHI_SMS_SIGNATURE = "【共治】"
    backends.outbox.clear()
    yield backends.outbox
    backends.outbox.clear()


@pytest.fixture
def registry():
    """Let a test register its own kinds; the registry is put back afterwards."""
    saved = dict(messages._registry)
    yield messages
    messages._registry.clear()
    messages._registry.update(saved)
