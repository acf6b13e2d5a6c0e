"""A building's page (its QR landing page) shows the public party organisation over it (四级架构: committee, branch,
the building's own group and demonstration households) and the compound heads (一院三长) like the staff cards: names,
titles and public phones only (``volunteers.selectors.public_party_units`` and ``public_heads``), and the ways to
serve (become a steward, activities near me)."""

from __future__ import annotations

from typing import Any

from django import template

from gongzhi.grid.models import Building
from gongzhi.grid.selectors import StaffCard
from gongzhi.volunteers import selectors as people

register = template.Library()
MAX_UNITS = 12
MAX_HEADS = 6


@register.inclusion_tag("portal/people/building_block.html")
def building_people(building: Building | None) -> dict[str, Any]:
    if building is None:
        return {"show": False}
    units = [
        u
        for u in people.public_party_units(building.node).select_related("node")
        if u.building_id is None or u.building_id == building.pk
    ][:MAX_UNITS]
    heads = [
        StaffCard(
            post_id=h.pk,
            name=h.name,
            title=h.get_title_display(),
            role="",
            duty=h.position,
            phone=h.public_phone,  # the public phone given for the card: never the account's own number
            photo_url="",
            place=h.node.name,
            level=h.node.level,
        )
        for h in people.public_heads(building.node).select_related("node")[:MAX_HEADS]
    ]
    return {"show": True, "building": building, "units": units, "heads": heads}
