"""The party organisation on the public staff cards (三亮 + 所在党组织): each card on a building's QR page and on the
service points page names the public party units of its own node — committee, branch or group, never a unit that is
not public, a building's own group or a demonstration household — read from ``volunteers`` by the portal (grid knows
no party units)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gongzhi.grid import roles
from gongzhi.grid.tests.factories import BuildingFactory, post
from gongzhi.portal import selectors
from gongzhi.volunteers import selectors as people_selectors
from gongzhi.volunteers import services
from gongzhi.volunteers.tests.factories import people_world

pytestmark = pytest.mark.django_db
CARD = re.compile(r'<li class="staff-card">(.*?)</li>', re.S)
PARTY = re.compile(r'<p class="staff-party">(.*?)</p>', re.S)


@pytest.fixture
def place(db):
    w = people_world()
    home = BuildingFactory(node=w.micro_grid, name="3号楼", jurisdiction=w.district.jurisdiction)
    steward = post(roles.STEWARD, node=w.micro_grid, title="红色小管家", public_phone="0571-80000001")
    steward.user.display_name = "刘红梅"
    steward.user.save(update_fields=["display_name"])
    w.staff.display_name = "赵社工"
    w.staff.save(update_fields=["display_name"])
    committee = services.add_party_unit(actor=w.staff, level="committee", node=w.community, name="幸福社区党委")
    branch = services.add_party_unit(
        actor=w.staff, level="branch", node=w.micro_grid, parent=committee, name="幸福小区党支部"
    )
    services.add_party_unit(
        actor=w.staff, level="branch", node=w.micro_grid, parent=committee, name="内部党支部", public=False
    )
    group = services.add_party_unit(
        actor=w.staff, level="group", node=w.micro_grid, parent=branch, name="3号楼党小组", building=home
    )
    services.add_party_unit(actor=w.staff, level="household", node=w.micro_grid, parent=group, name="张家示范户")
    return w, home


def cards(html: str) -> dict[str, list[str]]:
    """Each card's holder (the first name in it) with the party lines it shows."""
    found = {}
    for body in CARD.findall(html):
        name = re.search(r'<p class="staff-name">\s*([^<\s]+)', body).group(1)
        found[name] = [re.sub(r"\s+", " ", p).strip() for p in PARTY.findall(body)]
    return found


def test_each_card_on_the_building_page_names_its_nodes_public_party_units(client, place):
    _, home = place
    response = client.get(reverse("portal:scan", args=[home.public_token]))
    assert response.status_code == 200
    html = response.content.decode()
    shown = cards(html)
    assert shown["刘红梅"] == ["所在党组织：幸福小区党支部"]
    assert shown["赵社工"] == ["所在党组织：幸福社区党委"]
    # Never a unit that is not public; the building's group and the household are the building block's, not a card's.
    assert "内部党支部" not in html
    assert "张家示范户" not in "".join(CARD.findall(html)) and "3号楼党小组" not in "".join(CARD.findall(html))


def test_a_node_without_public_units_shows_no_party_line(client, place):
    _, home = place
    from gongzhi.volunteers.models import PartyUnit

    PartyUnit.objects.filter(name="幸福小区党支部").update(public=False)
    html = client.get(reverse("portal:scan", args=[home.public_token])).content.decode()
    shown = cards(html)
    assert shown["刘红梅"] == [] and shown["赵社工"] == ["所在党组织：幸福社区党委"]
    assert "幸福小区党支部" not in html


def test_the_party_line_in_english(client, place):
    _, home = place
    client.cookies["django_language"] = "en"
    html = client.get(reverse("portal:scan", args=[home.public_token]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert cards(html)["刘红梅"] == ["Party organisation: 幸福小区党支部"]


def test_the_service_points_page_shows_the_party_line_too(client, place):
    w, _ = place
    html = client.get(reverse("portal:points", args=[w.micro_grid.pk])).content.decode()
    shown = cards(html)
    assert shown["刘红梅"] == ["所在党组织：幸福小区党支部"] and "内部党支部" not in html


def test_party_units_of_nodes_reads_only_the_nodes_own_public_units(place):
    w, _ = place
    assert people_selectors.party_units_of_nodes([w.micro_grid.pk, w.community.pk, w.street.pk, None]) == {
        w.micro_grid.pk: ["幸福小区党支部"],
        w.community.pk: ["幸福社区党委"],
    }
    assert people_selectors.party_units_of_nodes([]) == {}


def test_with_party_keeps_the_card_and_adds_the_units(place):
    from gongzhi.grid import selectors as grid_selectors

    w, _ = place
    plain = grid_selectors.staff_cards(w.micro_grid)
    party = selectors.with_party(plain)
    assert [c.name for c in party] == [c.name for c in plain]
    assert [(c.name, c.party) for c in party] == [("刘红梅", ("幸福小区党支部",)), ("赵社工", ("幸福社区党委",))]
    assert party[0].phone == "0571-80000001"
