"""The list of requests comes in pages of 100 by default, newest first, and Link: rel="next" carries a keyset cursor:
following it visits every public request once, ties of the same second included, and nothing private."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from gongzhi.core import timeutil
from gongzhi.open311 import selectors
from gongzhi.open311.tests.factories import setup

BASE = "/open311/v2/"

pytestmark = pytest.mark.django_db


def _next(response) -> str | None:
    link = response.get("Link")
    if not link:
        return None
    assert link.endswith('>; rel="next"')
    return link[1 : link.index(">")]


def test_following_the_cursor_visits_every_public_request_once_newest_first(client):
    s = setup()
    now = timeutil.now()
    filed = []
    # 230 public requests, in runs of three filed at the same instant (the cursor must break ties by id).
    for i in range(230):
        filed.append(s.world.submit(channel="api", category=s.noise, at=now - timedelta(minutes=i // 3)))
    private = s.world.submit(channel="api", category=s.world.category, at=now, title="私事")
    private.category.private = True
    private.category.save(update_fields=["private"])
    expected = [c.public_id for c in sorted(filed, key=lambda c: (c.submitted_at, c.pk), reverse=True)]

    seen, pages, url = [], [], f"{BASE}requests.json"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        rows = response.json()
        pages.append(len(rows))
        seen += [r["service_request_id"] for r in rows]
        url = _next(response)
        if url:
            query = parse_qs(urlsplit(url).query)
            assert "page" not in query and len(query["after"]) == 1
    assert pages == [selectors.DEFAULT_PAGE_SIZE, selectors.DEFAULT_PAGE_SIZE, 30]
    assert seen == expected
    assert private.public_id not in seen

    # The default page is read by a prepared statement; the same page read through the ORM (a filter that keeps
    # everything) is identical, field by field.
    first = client.get(f"{BASE}requests.json").json()
    assert client.get(f"{BASE}requests.json?status=open,closed").json() == first


def test_the_cursor_keeps_the_filters_and_page_size_still_works(client):
    s = setup()
    now = timeutil.now()
    litter = [s.world.submit(channel="api", category=s.world.category, at=now - timedelta(minutes=i)) for i in range(5)]
    for i in range(3):
        s.world.submit(channel="api", category=s.noise, at=now - timedelta(minutes=i))
    response = client.get(f"{BASE}requests.json?service_code=env.litter&page_size=2")
    assert [r["service_request_id"] for r in response.json()] == [litter[0].public_id, litter[1].public_id]
    url = _next(response)
    assert url is not None and parse_qs(urlsplit(url).query)["service_code"] == ["env.litter"]
    second = client.get(url)
    assert [r["service_request_id"] for r in second.json()] == [litter[2].public_id, litter[3].public_id]
    third = client.get(_next(second))
    assert [r["service_request_id"] for r in third.json()] == [litter[4].public_id]
    assert "Link" not in third
    # page= still counts pages from the start (or from a cursor).
    third_page = client.get(f"{BASE}requests.json?service_code=env.litter&page_size=2&page=3")
    assert [r["service_request_id"] for r in third_page.json()] == [litter[4].public_id]


@pytest.mark.parametrize(
    "cursor", ["abc", "1-", "-5", "12.5-3", "１２-3", "1-2-3", "99999999999999999999-1", "1-9999999999999999999"]
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_forged_cursor_is_a_400_that_says_so(client, fmt, cursor):
    setup()
    response = client.get(f"{BASE}requests.{fmt}", {"after": cursor})
    assert response.status_code == 400
    assert b"after" in response.content
