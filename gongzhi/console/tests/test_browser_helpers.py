"""The browser-test helper's own rules, without a browser: when it skips, when it fails, what it blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongzhi.core.testing import browser


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMIUM", Path(tmp_path / "no-such-chromium"))


def test_missing_chromium_skips_on_a_developer_machine(no_chromium, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="`chromium` and `fonts-noto-cjk`"):
        browser.require_chromium()


def test_missing_chromium_fails_under_ci(no_chromium, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="`chromium` and `fonts-noto-cjk`"):
        browser.require_chromium()


def test_the_guard_lets_only_the_test_server_through():
    guard = browser.OffsiteGuard("http://localhost:8081")
    assert guard.allows("http://localhost:8081/static/css/gongzhi.css")
    assert guard.allows("data:image/png;base64,AAAA")
    assert not guard.allows("http://localhost:8082/")
    assert not guard.allows("https://localhost:8081/")
    assert not guard.allows("https://unpkg.com/leaflet@1.9.4/dist/leaflet.js")


def test_screenshots_go_under_the_repository(tmp_path):
    path = browser.screenshot_path("phone / 社区 page")
    assert path.parent == browser.REPO_ROOT / "test-artifacts" / "screenshots"
    assert path.name == "phone-page.png"
    assert (browser.REPO_ROOT / "pyproject.toml").exists()
