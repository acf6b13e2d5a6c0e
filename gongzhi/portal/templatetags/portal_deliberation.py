"""Blocks of deliberation on pages other views render: a building's live notices (with "text me this building's
notices" and "topics near me") on its QR landing page, and the community board's notices and two announcements
(两公开: decisions and results made public). They read ``deliberation.selectors`` only, public parts only."""

from __future__ import annotations

from typing import Any

from django import template

from gongzhi.core import timeutil
from gongzhi.core.privacy import mask_text
from gongzhi.deliberation import selectors as delib
from gongzhi.deliberation.choices import Step
from gongzhi.grid.models import Building, GridNode

register = template.Library()
MAX_NOTICES = 10
MAX_ANNOUNCEMENTS = 20


@register.inclusion_tag("portal/deliberation/building_block.html")
def building_notices(building: Building | None) -> dict[str, Any]:
    if building is None:
        return {"show": False}
    return {"show": True, "building": building, "notices": list(delib.live_notices(building)[:MAX_NOTICES])}


@register.inclusion_tag("portal/deliberation/board_block.html")
def board_deliberation(node: GridNode | None) -> dict[str, Any]:
    if node is None:
        return {"show": False}
    now = timeutil.now()
    announcements = list(delib.board_announcements(node)[:MAX_ANNOUNCEMENTS])
    return {
        "show": True,
        "node": node,
        "notices": list(delib.live_notices_for_node(node, now=now)[:MAX_NOTICES]),
        "announcements": announcements,
        "result_step": Step.RESULT_PUBLIC,
    }


@register.filter
def delib_masked(text: str) -> str:
    """Residents' own words on public pages (a proposal's title and text, comments) with personal data masked again
    (``core.privacy.mask_text``: 138****5678, 王**): the form asks them not to write any, this makes sure."""
    return mask_text(str(text or ""))
