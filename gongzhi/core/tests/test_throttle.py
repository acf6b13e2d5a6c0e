"""core.throttle: a slot given back, in the window it was taken from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gongzhi.core import throttle
from gongzhi.core.models import Throttle

pytestmark = pytest.mark.django_db


def test_release_gives_back_the_slot_of_the_same_window_only():
    now = datetime(2024, 5, 1, 10, 0, 5, tzinfo=UTC)
    assert throttle.hit("login-account", "k", limit=2, seconds=60, now=now).allowed
    assert throttle.hit("login-account", "k", limit=2, seconds=60, now=now).allowed
    assert not throttle.peek("login-account", "k", limit=2, seconds=60, now=now).allowed
    throttle.release("login-account", "k", seconds=60, now=now)
    assert Throttle.objects.get().count == 1
    assert throttle.peek("login-account", "k", limit=2, seconds=60, now=now).allowed
    # Giving back in the next window (or more than was taken) changes nothing.
    throttle.release("login-account", "k", seconds=60, now=now + timedelta(seconds=60))
    throttle.release("login-account", "k", seconds=60, now=now)
    throttle.release("login-account", "k", seconds=60, now=now)
    assert Throttle.objects.get().count == 0
