"""The database rate limiter and the portal's settings parsers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi import config
from gongzhi.core import crypto, throttle
from gongzhi.core.models import Throttle


@pytest.mark.django_db
def test_fixed_window_counts_refuses_and_resets():
    now = datetime(2024, 5, 1, 10, 0, 5, tzinfo=UTC)
    verdicts = [throttle.hit("report", "k", limit=3, seconds=60, now=now).allowed for _ in range(5)]
    assert verdicts == [True, True, True, False, False]
    refused = throttle.hit("report", "k", limit=3, seconds=60, now=now)
    assert refused.retry_after == 55
    assert Throttle.objects.get().count == 3  # refused hits are not counted
    assert throttle.hit("report", "other", limit=3, seconds=60, now=now).allowed
    assert throttle.hit("login", "k", limit=3, seconds=60, now=now).allowed
    later = now + timedelta(seconds=60)
    assert throttle.hit("report", "k", limit=3, seconds=60, now=later).allowed
    assert not throttle.peek("report", "k", limit=1, seconds=60, now=later).allowed
    assert throttle.peek("report", "k", limit=2, seconds=60, now=later).allowed


def test_keys_are_not_the_address():
    """A keyed hash of the address: stable, one per address, and nothing of the address in it. (Not "no '203' in the
    key": 32 hex digits of a hash hold any three given digits about one time in 140, which failed a fresh clone whose
    new secret key gave 13cb4b5c861f613dc203a66614842f5d.)"""
    key = throttle.key_for("203.0.113.9")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert key == throttle.key_for("203.0.113.9")
    assert key != throttle.key_for("203.0.113.10")
    assert key != crypto.blind_index("203.0.113.9")  # its own namespace, not a phone's blind index of the same text


@pytest.mark.parametrize(("value", "expected"), [("10/3600", (10, 3600)), (" 5 / 60 ", (5, 60)), ("1/1", (1, 1))])
def test_parse_rate(value, expected):
    assert config.parse_rate("GONGZHI_REPORT_RATE_LIMIT", value) == expected


@pytest.mark.parametrize("value", ["10", "0/60", "10/0", "ten/60", "10/-1", ""])
def test_parse_rate_refuses_nonsense_naming_the_setting(value):
    with pytest.raises(config.ConfigError, match="GONGZHI_REPORT_RATE_LIMIT"):
        config.parse_rate("GONGZHI_REPORT_RATE_LIMIT", value)


@given(st.text(max_size=20))
def test_parse_rate_never_crashes(value):
    try:
        count, seconds = config.parse_rate("GONGZHI_REPORT_RATE_LIMIT", value)
    except config.ConfigError:
        return
    assert count >= 1 and seconds >= 1


def test_public_url(tmp_path):
    assert config.parse_public_url("https://gz.example.gov.cn/") == "https://gz.example.gov.cn"
    assert config.parse_public_url("") == ""
    for bad in ("gz.example.gov.cn", "ftp://x", "https://x/?a=1", "https://"):
        with pytest.raises(config.ConfigError, match="GONGZHI_PUBLIC_URL"):
            config.parse_public_url(bad)
    cfg = config.load(
        {
            "GONGZHI_DATA_DIR": str(tmp_path),
            "GONGZHI_PHOTO_MAX_MB": "2.5",
            "GONGZHI_REPORT_RATE_LIMIT": "3/60",
            "GONGZHI_PROXY_HOPS": "1",
        }
    )
    assert (cfg.photo_max_mb, cfg.report_rate_limit, cfg.login_code_rate_limit, cfg.proxy_hops) == (
        2.5,
        (3, 60),
        (5, 3600),
        1,
    )


@pytest.mark.django_db
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
