"""The flows that span the care registry and the cases (care never imports cases; DESIGN.md §3): a visit that files a
case or an assistance application, and a resident's erasure that takes them out of their cases. One place for each,
used by the console's pages, the simulation and the worker's retention rule (``ops``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.care import services
from gongzhi.care.choices import Assistance, LinkKind, Outcome
from gongzhi.care.models import Resident
from gongzhi.cases import selectors as case_selectors
from gongzhi.cases import services as case_services
from gongzhi.cases.choices import Channel, Kind
from gongzhi.cases.models import CaseCategory
from gongzhi.core import photos
from gongzhi.core.errors import Conflict, PermissionDenied, gettext_noop
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Jurisdiction

# The help-kind category (求助) an assistance application is filed under (cases/seed_catalogue.py).
ASSISTANCE_CATEGORY = "care.assistance"


def help_category(jurisdiction_id: int) -> CaseCategory:
    found = case_selectors.categories_for(jurisdiction_id).filter(code=ASSISTANCE_CATEGORY, kind=Kind.HELP).first()
    if found is None:
        raise Conflict(
            gettext_noop(
                "The catalogue has no category for assistance applications (care.assistance): ask an administrator "
                "to seed the catalogue."
            )
        )
    return found


@dataclass(frozen=True)
class VisitDone:
    visit_id: int
    case_id: int | None
    tracking_code: str


def record_visit_with_case(
    *,
    resident: Resident,
    visitor: Any,
    outcome: str,
    findings: str,
    next_step: str = "",
    photos: Sequence[str] = (),
    case_photos: Sequence[str] = (),
    category: CaseCategory | None = None,
    title: str = "",
    assistance: str = "",
    visited_on: date | None = None,
    at: datetime | None = None,
) -> VisitDone:
    """The visit, and for a problem (``title``; ``category`` or the triage's) or an assistance application
    (``assistance``: a case of kind help under ``help_category``) the case it files and the link between them: all in
    one transaction, or nothing. The case's reads (checks, place, triage) run before the transaction begins
    (``cases.services.prepare_submission``: on SQLite the write lock is then held only for the writes); its writes,
    the visit and the link are one transaction on SQLite and PostgreSQL alike. ``photos`` are the visit's stored
    photos, ``case_photos`` the case's own copy (erasing the resident deletes the visit's, not the case's evidence)."""
    submission = None
    kind = ""
    if outcome in (Outcome.PROBLEM, Outcome.NEEDS_HELP):
        if not grid_selectors.user_can(visitor, roles.CASE_RECORD, resident.node):
            raise PermissionDenied(gettext_noop("Your posts do not record cases."))
        household = resident.household
        building = household.building if household is not None else None
        if outcome == Outcome.PROBLEM:
            kind = LinkKind.PROBLEM
        else:
            kind, category = LinkKind.HELP, help_category(resident.jurisdiction_id)
            title = title or _("Assistance application: %(kind)s") % {"kind": Assistance(assistance).label}
        submission = case_services.prepare_submission(
            jurisdiction=Jurisdiction.objects.get(pk=resident.jurisdiction_id),
            channel=Channel.VISIT,
            title=title,
            description=findings,
            category=category,
            building=building,
            place_node=None if building is not None else resident.node,
            address=household.address if household is not None and building is None else "",
            recorded_by=visitor,
            photos=case_photos,
            at=at,
        )
    with transaction.atomic():
        visit = services.record_visit(
            resident=resident.pk,
            visitor=visitor,
            outcome=outcome,
            findings=findings,
            next_step=next_step,
            photos=list(photos),
            visited_on=visited_on,
            at=at,
        )
        if submission is None:
            return VisitDone(visit.pk, None, "")
        case = case_services.file_submission(submission)
        services.link_case(
            resident=resident.pk,
            case_id=case.pk,
            tracking_code=case.tracking_code,
            kind=kind,
            assistance=assistance if kind == LinkKind.HELP else "",
            visit=visit,
            actor=visitor,
            at=at,
        )
    return VisitDone(visit.pk, case.pk, case.tracking_code)


def erase_resident(*, resident: Resident | int, actor: Any, reason: str) -> services.Erased:
    """Erase a resident on their request (``actor`` keeps the registry) or by the retention rule (``actor`` None) and
    take them out of their cases (their name as it was is masked there too), in one transaction; the visit photos are
    deleted from storage once it has committed (a rollback keeps them)."""
    pk = resident.pk if isinstance(resident, Resident) else int(resident)
    name = Resident.objects.filter(pk=pk).values_list("name", flat=True).first() or ""
    with transaction.atomic():
        erased = services.erase(user=actor, resident=pk, reason=reason)
        if erased.case_ids:
            case_services.anonymise_people(case_ids=erased.case_ids, actor=actor, reason=reason, names=[name])
        names = list(erased.photos)
        if names:
            transaction.on_commit(lambda: photos.discard(names))
    return erased
