""" "Already reported nearby — follow that one?" (issue 24, item 15a). While a resident writes a report, the open cases
the case engine would call duplicates are offered in public words only — type, building or grid unit, status — never
another resident's text, photos, contact or tracking code, and never for a private matter. "It is the same — follow
it" files the report merged into that case (so they hear its result and may rate it); "mine is different" sends it
as usual."""

from __future__ import annotations

import pytest
from django.core import signing
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import EventKind
from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import category
from gongzhi.portal import views
from gongzhi.portal.tests.test_report import scan_url

pytestmark = pytest.mark.django_db
EARLIER = "三楼楼道的灯坏了，晚上很黑，邻居王五13812345678说摔了一跤"
MINE = "三楼楼道的灯坏了，晚上很黑"


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def earlier(w):
    """An open case at the same building, reported by a neighbour with a photo and their phone number."""
    return w.submit(
        title=EARLIER[:40], description=EARLIER, reporter_phone="13812345678", photos=["cases/reports/2025/01/x.jpg"]
    )


def ask(client, w, text=MINE, **extra):
    data = {"token": w.building.public_token, "description": text, **extra}
    return client.post(reverse("portal:nearby"), data)


def test_an_open_case_nearby_is_offered_in_public_words_only(en, w, earlier):
    response = ask(en, w)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="nearby-list"' in html and "Already reported nearby?" in html
    assert "幸福里小区 3号楼" in html  # where: the building
    assert "Received, waiting to be arranged" in html  # its status, in residents' words
    for secret in (earlier.tracking_code, "王五", "13812345678", "摔了一跤", "x.jpg", f">{earlier.pk}<"):
        assert secret not in html, secret
    token = html.split('name="follow" value="')[1].split('"')[0]
    assert signing.loads(token, salt=views.NEARBY_SALT) == earlier.pk  # signed, not a bare id


def test_the_type_is_shown_once_staff_sorted_it(en, w, earlier):
    services.triage(case=earlier, actor=w.dispatcher, category=w.category)
    assert "楼道堆物" in ask(en, w).content.decode()


@pytest.mark.parametrize("why", ["resolved", "withdrawn", "other text", "no place", "short text", "another type"])
def test_nothing_is_offered_when_it_is_not_an_open_case_like_this_one(en, w, earlier, why):
    extra = {}
    text = MINE
    if why == "resolved":
        services.triage(case=earlier, actor=w.dispatcher, category=w.category)
        services.dispatch(case=earlier, actor=w.dispatcher, user=w.steward)
        services.accept(case=earlier, actor=w.steward)
        services.resolve(case=earlier, actor=w.steward, result="已换灯泡")
    elif why == "withdrawn":
        services.withdraw(case=earlier, actor=None, reason="好了", verified_reporter=True)
    elif why == "other text":
        text = "小区门口有人乱停车，堵住了消防通道"
    elif why == "short text":
        text = "灯"
    elif why == "another type":
        services.triage(case=earlier, actor=w.dispatcher, category=w.category)
        extra = {"category": "road.light"}
    if why == "no place":
        response = en.post(reverse("portal:nearby"), {"j": w.jurisdiction.code, "description": text})
    else:
        response = ask(en, w, text, **extra)
    assert (response.status_code, response.content) == (200, b"")


def test_a_private_matter_is_never_offered(en, w, earlier):
    private = category(w.jurisdiction, "people.dispute", name="邻里纠纷")
    private.private = True
    private.save()
    services.triage(case=earlier, actor=w.dispatcher, category=private)
    assert ask(en, w).content == b""
    # Nor when the resident says theirs is a private matter.
    assert ask(en, w, category="people.dispute").content == b""


def test_looking_is_rate_limited(en, w, earlier, monkeypatch):
    monkeypatch.setattr(views, "NEARBY_RATE", (2, 600))
    assert ask(en, w).status_code == ask(en, w).status_code == 200
    refused = ask(en, w)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_a_forged_building_is_nothing(en, w, earlier):
    response = en.post(reverse("portal:nearby"), {"token": "nope", "description": MINE})
    assert (response.status_code, response.content) == (200, b"")


def follow_token(case) -> str:
    return signing.dumps(case.pk, salt=views.NEARBY_SALT)


def test_it_is_the_same_follow_it(en, w, earlier):
    response = en.post(scan_url(w), {"description": MINE, "phone": "13900001111", "follow": follow_token(earlier)})
    mine = Case.objects.exclude(pk=earlier.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:track", args=[mine.tracking_code]) + "?done=followed"
    earlier.refresh_from_db()
    assert (mine.status, mine.merged_into_id, earlier.duplicate_count) == (t.MERGED, earlier.pk, 1)
    assert mine.description == MINE and mine.reporter_phone == "13900001111"  # staff still get what they wrote
    assert mine.events.get(kind=EventKind.MERGED).data["by_reporter"] is True
    page = en.get(response["Location"]).content.decode()
    assert 'id="followed-message"' in page


def test_mine_is_different_send_sends_it_on_its_own(en, w, earlier):
    assert en.post(scan_url(w), {"description": MINE}).status_code == 302
    mine = Case.objects.exclude(pk=earlier.pk).get()
    assert mine.status == t.SUBMITTED and mine.merged_into_id is None


@pytest.mark.parametrize("token", ["forged", "unsigned", "old"])
def test_a_forged_or_stale_choice_sends_the_report_on_its_own(en, w, earlier, token, monkeypatch):
    value = {
        "forged": follow_token(earlier)[:-3] + "abc",
        "unsigned": str(earlier.pk),
        "old": follow_token(earlier),
    }[token]
    if token == "old":
        monkeypatch.setattr(views, "NEARBY_MAX_AGE", -1)
    assert en.post(scan_url(w), {"description": MINE, "follow": value}).status_code == 302
    mine = Case.objects.exclude(pk=earlier.pk).get()
    assert (mine.status, mine.merged_into_id) == (t.SUBMITTED, None)
    earlier.refresh_from_db()
    assert earlier.duplicate_count == 0


def test_a_case_closed_meanwhile_sends_it_on_its_own_and_says_so(en, w, earlier):
    token = follow_token(earlier)
    services.withdraw(case=earlier, actor=None, reason="好了", verified_reporter=True)
    response = en.post(scan_url(w), {"description": MINE, "follow": token})
    mine = Case.objects.exclude(pk=earlier.pk).get()
    assert mine.status == t.SUBMITTED and response["Location"].endswith("?done=sent_alone")
    assert 'id="sent-alone-message"' in en.get(response["Location"]).content.decode()


def test_a_pin_on_the_map_page_finds_it_too(en, w):
    ring = w.micro.boundary["coordinates"][0]
    lon, lat = (ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2
    w.building.lat, w.building.lon = lat, lon  # the earlier report came by its building's QR code: placed there
    w.building.save()
    w.submit(title=EARLIER[:40], description=EARLIER)
    near = en.post(
        reverse("portal:nearby"), {"j": w.jurisdiction.code, "description": MINE, "lat": lat + 0.0005, "lon": lon}
    )
    assert 'id="nearby-list"' in near.content.decode()
    far = en.post(reverse("portal:nearby"), {"j": w.jurisdiction.code, "description": MINE, "lat": 10, "lon": 10})
    assert far.content == b""
