"""Automated accessibility check (axe-core, from npm, run in real Chromium) of the resident pages, in the standard
and the large-text mode: WCAG 2.1 A/AA rules, which include colour contrast and labels for every control.

axe-core is a devDependency (package.json); it is evaluated into the page through Playwright, so it needs no
<script> tag and no CSP exception, and it is never served by the app.
"""

from __future__ import annotations

import json
import os
from datetime import time
from pathlib import Path

import pytest
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.core.testing.browser import PHONE, REPO_ROOT
from gongzhi.stations.tests.factories import all_day, station

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_source() -> str:
    if not AXE.is_file():
        message = f"{AXE} is missing: run `npm ci` (axe-core is a devDependency in package.json)"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def run_axe(page, source: str) -> list[dict]:
    page.evaluate(source)
    result = page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' +"
        " n.failureSummary.split('\\n').slice(0, 3).join(' '))})); }",
        TAGS,
    )
    return result


def test_resident_pages_pass_axe_in_both_modes(browser_session, w, monkeypatch, tmp_path):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    source = axe_source()
    resolved = w.to_resolved(reporter_phone="13812345678", reporter_name="李四")
    services.publish(case=resolved, actor=w.dispatcher)
    w.building.lat, w.building.lon = 30.0005, 120.0005
    w.building.save()
    on_map = w.to_resolved()
    services.publish(case=on_map, actor=w.dispatcher, summary="路灯已修复")
    point = station(
        w.community,
        "幸福社区便民服务驿站",
        items=("errands", "drinking-water"),
        hours=[(d, time(8, 30), time(17, 30)) for d in range(7)],
        on_duty=all_day(w.steward.posts.get()),
        lat=30.0004,
        lon=120.0004,
    )
    pages = {
        "home": reverse("portal:home"),
        "scan-report": reverse("portal:scan", args=[w.building.public_token]),
        "map-report": reverse("portal:report") + f"?j={w.jurisdiction.code}",
        "track-lookup": reverse("portal:track_lookup") + "?code=NOPE",
        "login": reverse("portal:login"),
        "board": reverse("portal:board", args=[w.community.pk]),
        "public-map": reverse("portal:public_map", args=[w.community.pk]),
        "published": reverse("portal:published", args=[on_map.public_id]),
        "track-stranger": reverse("portal:track", args=[resolved.tracking_code]),
        "points": reverse("portal:points", args=[w.community.pk]),
        "stations": reverse("portal:stations") + f"?j={w.jurisdiction.code}&lat=30.0&lon=120.0",
        "station": reverse("portal:station", args=[point.pk]),
        "matters": reverse("portal:matters") + f"?j={w.jurisdiction.code}",
    }
    problems: dict[str, list] = {}
    checked = 0
    for mode in ("standard", "large"):
        page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
        if mode == "large":
            page.goto(reverse("portal:home"))
            page.click(".display-switch button")
            page.wait_for_selector("html.large")
        for name, url in pages.items():
            page.goto(url)
            if name == "map-report":
                page.wait_for_selector("#pin-map[data-ready=true]")
            if name == "public-map":
                page.wait_for_selector("#public-map[data-ready=true]")
            found = run_axe(page, source)
            checked += 1
            if found:
                problems[f"{mode}:{name}"] = found
        # The tracking page with the rating form, as its reporter (this browser sent a report).
        page.goto(reverse("portal:scan", args=[w.building.public_token]))
        page.fill("#id_description", "楼道灯坏了")
        page.click("#report-form button[type=submit]")
        page.wait_for_url("**/r/t/**")
        found = run_axe(page, source)
        checked += 1
        if found:
            problems[f"{mode}:track-after-report"] = found
        # A form with errors: messages must be tied to their fields.
        page.goto(reverse("portal:scan", args=[w.building.public_token]))
        page.click("#report-form button[type=submit]")
        page.wait_for_selector(".has-error")
        found = run_axe(page, source)
        checked += 1
        if found:
            problems[f"{mode}:report-with-errors"] = found
    # The checker is live: an unlabelled input and grey-on-white text on the same page are caught.
    page.evaluate(
        """() => { const i = document.createElement('input'); i.type = 'text'; document.querySelector('main').append(i);
                   const p = document.createElement('p'); p.textContent = '浅灰色的字'; p.style.color = '#c8c8c8';
                   document.querySelector('main').append(p); }"""
    )
    caught = {v["id"] for v in run_axe(page, source)}
    assert {"label", "color-contrast"} <= caught, caught
    report = Path(tmp_path / "axe.json")
    report.write_text(json.dumps(problems, ensure_ascii=False, indent=2), encoding="utf-8")
    assert checked == 2 * (len(pages) + 2)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=2)
