"""代办 across two domains (cases and volunteers never import each other; DESIGN.md §3): a case's handler hands its
light errand to a volunteer reported in to the case's community. The errand is the volunteers domain's
(``volunteers.services.offer_errand``); the case records who runs it, by a masked label
(``cases.services.give_errand``). Both in one transaction, or nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from gongzhi.cases import public
from gongzhi.cases import services as case_services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case
from gongzhi.core.errors import DomainError, gettext_noop
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode
from gongzhi.notifications import services as notifications
from gongzhi.volunteers import selectors as people
from gongzhi.volunteers import services as people_services
from gongzhi.volunteers.models import Errand

# The text message that tells the volunteer of the offer (volunteers/messages.py).
OFFERED_SMS = "volunteers.errand_offered"


def community_of(case: Case) -> GridNode | None:
    """The community whose volunteers may run the case's errand: the one the case is located in, else its owner's."""
    start = case.grid_node or case.owner_node
    return grid_selectors.ancestor_at(start, roles.COMMUNITY) if start is not None else None


def summary_of(case: Case) -> str:
    """What the volunteer reads of the case: its category and the public place (building and compound, else the
    community) — never the resident's name, number, words or the address they typed."""
    parts = [public.category_name(case.category, english=False) if case.category_id else "", public.public_place(case)]
    return " · ".join(part for part in parts if part)[:200]


def may_give(user: Any, case: Case) -> bool:
    """Whether the case page offers the viewer the "ask a volunteer" form: an errand category, an accepted case, the
    viewer handles it (or dispatches over its desk) and it has a community."""
    return (
        case.status == t.ACCEPTED
        and case_services.errand_allowed(case)
        and case_services.may_give_errand(user, case)
        and community_of(case) is not None
    )


@transaction.atomic
def give_errand(*, case: Case, actor: Any, volunteer_id: int, note: str = "") -> Errand:
    """The errand offered to the volunteer and recorded on the case, in one transaction, and a text message to the
    volunteer queued in it (delivered once it commits); a refusal by either domain (not an errand category, not the
    handler, a volunteer not reported in …) leaves both untouched and sends nothing."""
    community = community_of(case)
    if community is None:
        raise DomainError(gettext_noop("The case is in no community: its errand cannot go to a volunteer."))
    errand = people_services.offer_errand(
        volunteer=volunteer_id,
        community=community,
        case_id=case.pk,
        tracking_code=case.tracking_code,
        summary=summary_of(case),
        actor=actor,
        note=note,
    )
    case_services.give_errand(
        case=case.pk,
        actor=actor,
        volunteer_ref=errand.volunteer_id,
        volunteer_label=errand.volunteer.masked_name,
        note=note,
    )
    base = settings.GONGZHI_PUBLIC_URL
    notifications.send_sms(
        phone=errand.volunteer.phone,
        kind=OFFERED_SMS,
        context={"summary": errand.summary, "link": base + reverse("portal:people_errands") if base else ""},
        subject=f"errand:{errand.pk}",
    )
    return errand


def case_errands(case: Case) -> list[Errand]:
    return list(people.errands_for_case(case.pk))


def volunteer_choices(case: Case) -> list[tuple[int, str]]:
    community = community_of(case)
    if community is None:
        return []
    return [(v.id, f"{v.label} · {v.skills}" if v.skills else v.label) for v in people.volunteers_for_errand(community)]
