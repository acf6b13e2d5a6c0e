"""The large-text mode on a phone shows photo thumbnails whole (issue 24, item 14): a landscape and a portrait photo
on the tracking page are scaled to fit, not cropped. Screenshot: test-artifacts/screenshots/portal-large-photos.png.
The icon is linked from the resident pages and served at /favicon.ico."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from gongzhi.cases.models import Case
from gongzhi.core.testing.browser import PHONE, save_screenshot
from gongzhi.portal.tests.test_browser import orm_between_pages  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def picture(size, colour) -> bytes:
    image = Image.new("RGB", size, colour)
    image.paste((255, 255, 255), (size[0] // 2 - 5, 0, size[0] // 2 + 5, size[1]))  # a white stripe down the middle
    image.paste((0, 0, 0), (0, 0, size[0], 12))  # a black band along the top edge: cropped away if the top is cut
    image.paste((0, 0, 0), (0, size[1] - 12, size[0], size[1]))  # … and the bottom
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def test_large_text_shows_photos_whole(browser_session, w, orm_between_pages):  # noqa: F811
    # The resident sends it from this browser: report photos are shown to their reporter only.
    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page.goto(reverse("portal:scan", args=[w.building.public_token]))
    page.fill("#id_description", "楼道堆满杂物")
    page.set_input_files(
        "#id_photos",
        [
            {"name": "wide.jpg", "mimeType": "image/jpeg", "buffer": picture((1600, 900), (40, 120, 200))},
            {"name": "tall.jpg", "mimeType": "image/jpeg", "buffer": picture((900, 1600), (200, 80, 40))},
        ],
    )
    page.locator("#report-form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/r/t/\w+/"))
    page.wait_for_load_state("networkidle")  # the database again only once the page is idle (core.testing.browser)
    code = Case.objects.get().tracking_code
    assert reverse("portal:track", args=[code]) in page.url
    page.click(".display-switch button")
    page.wait_for_load_state("load")
    assert "large" in page.locator("html").get_attribute("class")
    images = page.locator(".photos img")
    images.first.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('.photos img')].every(i => i.complete)")
    for i in range(2):
        shown = images.nth(i).evaluate(
            """img => { const box = img.getBoundingClientRect(); const fit = getComputedStyle(img).objectFit;
                        return {w: box.width, h: box.height, nw: img.naturalWidth, nh: img.naturalHeight, fit}; }"""
        )
        # Whole: either scaled without cropping (contain), or a box with the picture's own proportions.
        ratio_box, ratio_picture = shown["w"] / shown["h"], shown["nw"] / shown["nh"]
        assert shown["fit"] == "contain" or abs(ratio_box - ratio_picture) < 0.02, shown
        assert shown["w"] <= PHONE["width"]
    page.locator(".photos").scroll_into_view_if_needed()
    save_screenshot(page, "portal-large-photos", full_page=True)
    icon = page.evaluate("() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
    assert any(h.endswith(".svg") for h in icon) and any(h.endswith(".png") for h in icon)
    assert page.request.get(icon[0]).status == 200
    response = page.request.get("/favicon.ico")
    assert response.status == 200 and response.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    browser_session.assert_clean()
