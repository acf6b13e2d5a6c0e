"""What the public may see of a case: where it is (the building or compound, else the community — never the flat or the
resident's own GPS fix), and the text of 公示 (the public summary staff confirm when they publish).

Public pages (board, public map, Open311, the tracking page seen by anyone but the reporter) show these, never the
resident's words or the handler's result as they stand; ``core.privacy.mask_text`` masks them again as a second
defence.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from gongzhi.cases.models import Case
from gongzhi.core import privacy
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, GridNode

MAX_SUMMARY = 1000
# How much of the handler's result the prefilled summary quotes.
SUMMARY_RESULT_CHARS = 300


def community_of(node_id: int | None) -> GridNode | None:
    """The community above (or at) a grid node — a case's located node, else its owner (cached nodes). A node above
    community level (a case only placed in a street or the district) is named itself."""
    if node_id is None:
        return None
    try:
        start = grid_selectors.node(node_id)
    except GridNode.DoesNotExist:
        return None
    found = grid_selectors.ancestor_at(start, roles.COMMUNITY)
    if found is not None:
        return found
    return start if roles.level_index(start.level) < roles.level_index(roles.COMMUNITY) else None


def _community(case: Case) -> GridNode | None:
    return community_of(case.grid_node_id or case.owner_node_id)


def building_label(building_name: str, compound_name: str | None) -> str:
    """A building as the public reads it: with its compound (幸福里小区 3号楼), like ``Building.__str__``."""
    if compound_name and not building_name.startswith(compound_name):
        return f"{compound_name} {building_name}"
    return building_name


def point_of(
    *,
    building: tuple[float | None, float | None] = (None, None),
    compound: tuple[float | None, float | None] = (None, None),
    reported: tuple[float | None, float | None] = (None, None),
) -> tuple[float, float] | None:
    """Where a public map puts a case: its building's point, else its compound's, else the reported point rounded
    to about 100 m (``core.privacy.coarse_point``) — never the resident's own GPS fix."""
    for lat, lon in (building, compound):
        if lat is not None and lon is not None:
            return lat, lon
    return privacy.coarse_point(*reported)


def _building(case: Case) -> Building | None:
    if case.building_id is None:
        return None
    if Case.building.is_cached(case):  # a list read it with select_related("building__compound")
        return case.building
    return Building.objects.select_related("compound").filter(pk=case.building_id).first()


def public_place(case: Case) -> str:
    """Where the case is, as far as the public may know: the building with its compound (幸福里小区 3号楼) when the
    report came from one, else the community. Never the address a resident typed (it may hold the flat)."""
    building = _building(case)
    if building is not None:
        return building_label(building.name, building.compound.name if building.compound else None)
    community = _community(case)
    return community.name if community is not None else ""


def coarse_place(case: Case) -> str:
    """Where the case is for someone who holds its tracking code but did not report it: the compound (not the
    building), else the community."""
    building = _building(case)
    if building is not None and building.compound is not None:
        return building.compound.name
    community = _community(case)
    return community.name if community is not None else ""


def public_point(case: Case) -> tuple[float, float] | None:
    """Where a public map puts the case (``point_of``)."""
    building = _building(case)
    compound = building.compound if building is not None else None
    return point_of(
        building=(building.lat, building.lon) if building is not None else (None, None),
        compound=(compound.lat, compound.lon) if compound is not None else (None, None),
        reported=(case.lat, case.lon),
    )


def category_name(category: Any, *, english: bool | None = None) -> str:
    """A category's name in the reader's language (``name_en`` on English pages when it has one)."""
    if category is None:
        return ""
    if english is None:
        english = (translation.get_language() or "").startswith("en")
    return category.name_en if english and getattr(category, "name_en", "") else category.name


def prefilled_summary(case: Case) -> str:
    """The public summary staff start from when they publish: category, place (building or community) and what was
    done, in the site's language. It quotes the handler's result as written, so it may carry personal data: the
    editor flags it (``summary_flags``) and the bulk action does not publish such a summary unreviewed."""
    result = " ".join((case.result or "").split())
    if len(result) > SUMMARY_RESULT_CHARS:
        result = result[: SUMMARY_RESULT_CHARS - 1] + "…"
    with translation.override(settings.LANGUAGE_CODE):
        category = case.category.name if case.category_id is not None else gettext("Request")
        place = public_place(case)
        if place and result:
            text = gettext("%(category)s (%(place)s): %(result)s")
        elif result:
            text = gettext("%(category)s: %(result)s")
        else:
            text = gettext("%(category)s (%(place)s): resolved") if place else gettext("%(category)s: resolved")
        return text % {"category": category, "place": place, "result": result}


def summary_flags(text: str) -> list[privacy.Finding]:
    """What in a summary looks like personal data: the same findings public pages would mask."""
    return privacy.find_personal_data(text)


def flagged_parts(text: str) -> list[tuple[str, str]]:
    """``text`` cut into (piece, kind) pairs, kind "" for unflagged pieces: the editor highlights the flagged ones."""
    parts: list[tuple[str, str]] = []
    at = 0
    for finding in summary_flags(text):
        if finding.start > at:
            parts.append((text[at : finding.start], ""))
        parts.append((finding.text, finding.kind))
        at = finding.end
    if at < len(text):
        parts.append((text[at:], ""))
    return parts


def shown_summary(case: Case) -> str:
    """The public summary as public pages show it (masked once more)."""
    return privacy.mask_text(case.public_summary)
