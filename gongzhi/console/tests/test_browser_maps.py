"""Every map in a real browser (Debian Chromium): text from residents and staff is shown as text, never as markup.

Leaflet puts a string given to a tooltip or popup into innerHTML. A case whose title, description and address, grid
nodes, a compound and a building whose names hold ``<img src=/x onerror=…>`` and ``<b>x</b>`` are drawn on every map
— the staff case map, the case page, the grid maps, the resident's pin map and the command centre's heat map — and
every tooltip is opened: the markup must read as literal text and no element from the data may exist in the page.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import PASSWORD
from gongzhi.cases import services
from gongzhi.cases.tests.factories import category
from gongzhi.core.testing.browser import DESKTOP, PHONE, save_screenshot
from gongzhi.grid import roles
from gongzhi.grid.tests.factories import BuildingFactory, CompoundFactory, make_tree, post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMG = "<img src=/x onerror=window.__xss=1>"
BOLD = "<b>x</b>"
EVIL = f"{IMG}{BOLD}"

# Elements the data would have created had it been parsed as HTML.
NO_MARKUP_JS = """() => ({
  imgs: [...document.querySelectorAll('img')].filter(i => (i.getAttribute('src') || '') === '/x').length,
  bolds: [...document.querySelectorAll('.leaflet-container b, .leaflet-pane b')].length,
  xss: window.__xss === 1,
})"""


def assert_no_markup(page) -> None:
    found = page.evaluate(NO_MARKUP_JS)
    assert found == {"imgs": 0, "bolds": 0, "xss": False}, found


def log_in(page, username: str) -> None:
    page.goto(reverse("accounts:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()


def hover_and_read(page, shapes) -> str:
    """Hover each map shape in turn; the text of the first tooltip that shows the markup (as text)."""
    for i in range(shapes.count()):
        shapes.nth(i).scroll_into_view_if_needed()
        box = shapes.nth(i).bounding_box()
        assert box, "the shape is not on screen"
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(150)
        tip = page.locator(".leaflet-tooltip-pane .leaflet-tooltip").filter(has_text="<img")
        if tip.count() and tip.first.is_visible():
            return tip.first.inner_text()
    raise AssertionError("no tooltip showed the name with its markup as text")


@pytest.fixture
def evil():
    """A district whose names and whose one located case carry markup."""
    root = make_tree(2)
    street = root.children.order_by("path").first()
    community = street.children.order_by("path").first()
    grid = community.children.order_by("path").first()
    micro = grid.children.order_by("path").first()
    for node in (street, community, grid, micro):
        node.name = f"{EVIL}{node.level}"
        node.save(update_fields=["name"])
    lon, lat = micro.boundary["coordinates"][0][0]
    compound = CompoundFactory(
        jurisdiction=root.jurisdiction, node=grid, name=f"{EVIL}小区", lat=lat + 0.0012, lon=lon + 0.0012
    )
    building = BuildingFactory(
        jurisdiction=root.jurisdiction,
        node=micro,
        compound=compound,
        name=f"{EVIL}1栋",
        lat=lat + 0.001,
        lon=lon + 0.001,
    )
    cat = category(root.jurisdiction, name=f"{EVIL}类别")
    case = services.submit(
        jurisdiction=root.jurisdiction,
        channel="web",
        title=f"{EVIL} 标题",
        description=f"{EVIL} 描述",
        address=f"{EVIL} 地址",
        category=cat,
        lat=lat + 0.001,
        lon=lon + 0.001,
    )
    centre = post(roles.COMMAND_CENTRE, node=root).user
    for n in (street, community, grid, micro):
        n.refresh_from_db()
    return {
        "root": root,
        "street": street,
        "community": community,
        "grid": grid,
        "micro": micro,
        "building": building,
        "compound": compound,
        "case": case,
        "centre": centre,
    }


def test_no_map_renders_data_as_markup(browser_session, evil):
    root, case = evil["root"], evil["case"]
    page = browser_session.new_page(viewport=DESKTOP)
    log_in(page, evil["centre"].username)

    # The staff case map: the case's tooltip shows its title as text.
    page.goto(reverse("console:cases_map"))
    page.wait_for_selector("#case-map[data-ready=true]")
    shown = hover_and_read(page, page.locator("#case-map path.leaflet-interactive"))
    assert IMG in shown and BOLD in shown and case.tracking_code in shown
    assert_no_markup(page)
    # Leaflet's zoom buttons are titled in the page's language, not in English.
    expect(page.locator("#case-map .leaflet-control-zoom-in")).to_have_attribute("title", "放大")
    expect(page.locator("#case-map .leaflet-control-zoom-out")).to_have_attribute("title", "缩小")
    save_screenshot(page, "maps-text-case-map")

    # The case page's map: the community, the compound and the building around the case are named, as text.
    page.goto(reverse("console:case", args=[case.pk]))
    page.wait_for_selector("#case-point-map[data-ready=true]")
    expect(page.locator("#case-point-map .building-label").filter(has_text=f"{EVIL}1栋")).to_have_count(1)
    expect(page.locator("#case-point-map .place-label").filter(has_text=f"{EVIL}小区")).to_have_count(1)
    expect(page.locator("#case-point-map .map-caption")).to_have_text(evil["community"].name)
    assert_no_markup(page)

    # Grid maps: the district (streets labelled), a community, a micro-grid with its building.
    page.goto(reverse("console:grid_node", args=[root.pk]))
    page.wait_for_selector("#grid-map[data-ready=true]")
    labels = page.locator("#grid-map .leaflet-tooltip").filter(has_text="<img")
    expect(labels.first).to_contain_text(EVIL)
    assert_no_markup(page)
    page.goto(reverse("console:grid_node", args=[evil["grid"].pk]))
    page.wait_for_selector("#grid-map[data-ready=true]")
    expect(page.locator("#grid-map .leaflet-tooltip").filter(has_text="<img").first).to_contain_text(EVIL)
    assert_no_markup(page)
    page.goto(reverse("console:grid_node", args=[evil["micro"].pk]))
    page.wait_for_selector("#grid-map[data-ready=true]")
    shown = hover_and_read(page, page.locator("#grid-map path.leaflet-interactive"))
    assert f"{EVIL}1栋" in shown
    assert_no_markup(page)

    # The command centre's heat map: hover the street whose name carries markup.
    page.goto(reverse("analytics:dashboard", args=[root.pk]))
    page.wait_for_selector("#heat-map[data-ready=true]")
    page.wait_for_selector("#dashboard[data-ready]")
    areas = page.locator("#heat-map path.leaflet-interactive")
    expect(areas).to_have_count(2)
    shown = hover_and_read(page, areas)
    assert EVIL in shown
    assert_no_markup(page)
    save_screenshot(page, "maps-text-heat-map")

    # The resident's pin map on a phone: the communities are named; the phone's location zooms in to the building.
    building = evil["building"]
    phone = browser_session.new_page(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": building.lat, "longitude": building.lon},
        permissions=["geolocation"],
    )
    phone.goto(reverse("portal:report") + f"?j={root.jurisdiction.code}")
    phone.wait_for_selector("#pin-map[data-ready=true]")
    expect(phone.locator("#pin-map .area-label").filter(has_text=EVIL)).to_have_count(1)
    assert_no_markup(phone)
    phone.click("#use-location")
    phone.wait_for_selector("#pin-map[data-pinned=true]")
    expect(phone.locator("#pin-map .building-label").filter(has_text=f"{EVIL}1栋")).to_have_count(1)
    assert_no_markup(phone)
    save_screenshot(phone, "maps-text-pin-map")

    # No request for /x was made from the data (an <img> would have asked for it).
    blocked = [u for u in browser_session.guard.blocked if re.search(r"/x$", u)]
    assert not blocked
    browser_session.console.errors[:] = [e for e in browser_session.console.errors if "favicon" not in e]
    browser_session.assert_clean()
