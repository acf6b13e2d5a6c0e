"""Writes of the care registry: one function per use case, keyword-only, atomic; a refused write changes nothing.

Every write checks the actor's posts (``policies``) over the resident's node: out of scope is NotFound, as if the
record did not exist. Reads of a full record are writes too — of the access log (``read_full``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gongzhi.care import idcard, policies, schedule
from gongzhi.care.choices import (
    Access,
    Assistance,
    ConsentPurpose,
    Level,
    LinkKind,
    MoveAction,
    Outcome,
    Purpose,
    Relation,
    ResidentStatus,
)
from gongzhi.care.models import (
    AccessEntry,
    CareGroup,
    CaseLink,
    Consent,
    Household,
    LevelChange,
    Move,
    Resident,
    Visit,
    VisitInterval,
)
from gongzhi.core import calendar_days, crypto, timeutil
from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied, checked_text, gettext_noop
from gongzhi.grid.models import Building, GridNode, Jurisdiction

# The care groups every jurisdiction starts with (admins add, rename and retire them in the admin).
DEFAULT_GROUPS: tuple[tuple[str, str], ...] = (
    ("living_alone", "独居老人"),
    ("aged", "高龄老人"),
    ("empty_nest", "空巢老人"),
    ("disabled", "残疾人"),
    ("seriously_ill", "重病患者"),
    ("subsistence", "低保/特困"),
    ("children_in_difficulty", "困境儿童"),
    ("left_behind", "留守儿童"),
    ("veteran", "退役军人"),
)
ERASED_NAME = ""


# ------------------------------------------------------------------------------------------------------- set-up


@transaction.atomic
def install_defaults(*, jurisdiction: Jurisdiction) -> None:
    """The default care groups and visit intervals of a jurisdiction (kept if already there)."""
    for order, (code, name) in enumerate(DEFAULT_GROUPS):
        CareGroup.objects.get_or_create(
            jurisdiction=jurisdiction, code=code, defaults={"name": name, "sort_order": order * 10}
        )
    for level, interval in schedule.DEFAULT_INTERVALS.items():
        VisitInterval.objects.get_or_create(
            jurisdiction=jurisdiction, level=level, defaults={"every": interval.every, "unit": interval.unit}
        )


def intervals(jurisdiction_id: int) -> dict[str, schedule.Interval]:
    """Each level's visit interval in a jurisdiction: its own where set, the default otherwise."""
    found = dict(schedule.DEFAULT_INTERVALS)
    for row in VisitInterval.objects.filter(jurisdiction_id=jurisdiction_id):
        found[row.level] = schedule.Interval(row.every, row.unit)
    return found


def _due(resident: Resident, interval: schedule.Interval | None = None) -> date | None:
    if not resident.level or resident.status != ResidentStatus.LIVING or resident.level_since is None:
        return None
    interval = interval or intervals(resident.jurisdiction_id)[resident.level]
    return schedule.next_due(
        last_visit=resident.last_visit,
        level_since=resident.level_since,
        interval=interval,
        calendar=calendar_days.current_calendar(),
    )


@transaction.atomic
def set_interval(*, jurisdiction: Jurisdiction, level: str, every: int, unit: str, actor: Any) -> int:
    """Change how often one level is visited; every living resident of that level is rescheduled. Returns how many."""
    if not (getattr(actor, "is_superuser", False) or policies.can_audit(actor)):
        raise PermissionDenied(gettext_noop("Only administrators change visit intervals."))
    if level not in Level.values:
        raise DomainError(gettext_noop("Unknown care level."))
    try:
        interval = schedule.Interval(int(every), unit)
    except (TypeError, ValueError):
        raise DomainError(gettext_noop("A visit interval is 1 to 366 days, 52 weeks or 12 months.")) from None
    VisitInterval.objects.update_or_create(
        jurisdiction=jurisdiction, level=level, defaults={"every": interval.every, "unit": interval.unit}
    )
    changed = 0
    residents = Resident.objects.filter(jurisdiction=jurisdiction, level=level, status=ResidentStatus.LIVING)
    for resident in residents.only("pk", "jurisdiction_id", "level", "level_since", "last_visit", "status").iterator():
        due = _due(resident, interval)
        changed += Resident.objects.filter(pk=resident.pk).update(next_visit_due=due)
    return changed


# ------------------------------------------------------------------------------------------------------- households


def _require_manage(actor: Any, node: GridNode) -> None:
    if not policies.can_manage(actor, node):
        raise NotFound(gettext_noop("No such record in your area."))


def _require_view(actor: Any, node: GridNode) -> None:
    if not policies.can_view(actor, node):
        raise NotFound(gettext_noop("No such record in your area."))


def checked_phone(phone: str) -> str:
    """A mobile or landline number as digits (blank allowed); DomainError otherwise."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    digits = crypto.normalise_phone(phone)
    if not 7 <= len(digits) <= 12 or any(ch.isalpha() for ch in phone):
        raise DomainError(gettext_noop("The phone number is not valid."), code="phone")
    return digits


def checked_id(number: str, *, today: date | None = None) -> idcard.IdNumber:
    try:
        return idcard.parse(number, today=today or timeutil.local_today())
    except idcard.InvalidIdNumber as exc:
        raise DomainError(exc.reason, code="id_number") from None


@transaction.atomic
def create_household(
    *,
    node: GridNode | None = None,
    building: Building | None = None,
    code: str,
    room: str = "",
    address: str = "",
    contact_phone: str = "",
    note: str = "",
    actor: Any,
    at: datetime | None = None,
) -> Household:
    """A household at a door of ``building`` (its grid node then comes from the building) or at ``address`` under
    ``node``."""
    if building is not None:
        node = building.node
    if node is None:
        raise DomainError(gettext_noop("A household needs a building or a grid node."))
    _require_manage(actor, node)
    code = checked_text(code, gettext_noop("ledger number"), required=True, max_length=32)
    phone = checked_phone(contact_phone)
    now = at or timeutil.now()
    if Household.objects.filter(jurisdiction_id=node.jurisdiction_id, code=code).exists():
        raise Conflict(gettext_noop("A household with this ledger number already exists."))
    return Household.objects.create(
        jurisdiction_id=node.jurisdiction_id,
        node=node,
        building=building,
        code=code,
        room=checked_text(room, gettext_noop("unit and room"), max_length=32),
        address=checked_text(address, gettext_noop("address"), max_length=200),
        contact_phone=phone,
        contact_index=crypto.blind_index(phone) if phone else "",
        note=checked_text(note, gettext_noop("note")),
        created_at=now,
        updated_at=now,
    )


# ------------------------------------------------------------------------------------------------------- residents


@dataclass(frozen=True)
class Person:
    """What the registry asks of a person: typed by staff or read from an imported ledger."""

    name: str
    id_number: str
    phone: str = ""
    relation: str = ""
    note: str = ""


def _personal_fields(person: Person, *, today: date) -> dict[str, Any]:
    name = checked_text(person.name, gettext_noop("name"), required=True, max_length=64)
    parsed = checked_id(person.id_number, today=today)
    phone = checked_phone(person.phone)
    if person.relation and person.relation not in Relation.values:
        raise DomainError(gettext_noop("Unknown relation to the household head."))
    return {
        "name": name,
        "name_index": crypto.blind_index(name_key(name)),
        "id_number": parsed.number,
        "id_index": crypto.blind_index(parsed.number),
        "id_masked": idcard.mask(parsed.number),
        "phone": phone,
        "phone_index": crypto.blind_index(phone) if phone else "",
        "born": parsed.born,
        "sex": parsed.sex,
        "relation": person.relation,
        "note": checked_text(person.note, gettext_noop("note")),
    }


def name_key(name: str) -> str:
    """How a name is indexed and searched: spaces dropped (全角 too), Latin letters lower-cased."""
    return "".join(name.split()).lower()


@transaction.atomic
def add_resident(
    *,
    household: Household,
    person: Person,
    groups: Iterable[CareGroup] = (),
    level: str = "",
    level_reason: str = "",
    moved_in: date | None = None,
    actor: Any,
    at: datetime | None = None,
) -> Resident:
    """A person moves into (or is first registered in) ``household``; the head when ``person.relation`` is head."""
    _require_manage(actor, household.node)
    now = at or timeutil.now()
    today = timeutil.local(now).date()
    fields = _personal_fields(person, today=today)
    groups = list(groups)
    if any(group.jurisdiction_id != household.jurisdiction_id for group in groups):
        raise DomainError(gettext_noop("A care group of another jurisdiction."))
    if Resident.objects.filter(jurisdiction_id=household.jurisdiction_id, id_index=fields["id_index"]).exists():
        raise Conflict(gettext_noop("This ID number is already in the registry."), code="duplicate")
    try:
        with transaction.atomic():
            resident = Resident.objects.create(
                jurisdiction_id=household.jurisdiction_id,
                node_id=household.node_id,
                household=household,
                created_at=now,
                updated_at=now,
                **fields,
            )
    except IntegrityError:
        raise Conflict(gettext_noop("This ID number is already in the registry."), code="duplicate") from None
    resident.groups.set(groups)
    Move.objects.create(
        resident=resident,
        household=household,
        action=MoveAction.MOVED_IN,
        on=moved_in or today,
        by=_user(actor),
        at=now,
    )
    if person.relation == Relation.HEAD:
        Household.objects.filter(pk=household.pk).update(head=resident, updated_at=now)
        household.head = resident
    if level:
        _set_level(resident, level=level, reason=level_reason, actor=actor, now=now)
    return resident


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _set_level(resident: Resident, *, level: str, reason: str, actor: Any, now: datetime) -> None:
    if level and level not in Level.values:
        raise DomainError(gettext_noop("Unknown care level."))
    reason = checked_text(reason, gettext_noop("reason"), required=True, max_length=200)
    if level == resident.level:
        raise DomainError(gettext_noop("The resident is already at this care level."))
    LevelChange.objects.create(
        resident=resident, level_from=resident.level, level_to=level, reason=reason, by=_user(actor), at=now
    )
    resident.level = level
    resident.level_reason = reason
    resident.level_since = timeutil.local(now).date() if level else None
    resident.next_visit_due = _due(resident)
    resident.updated_at = now
    resident.save(update_fields=["level", "level_reason", "level_since", "next_visit_due", "updated_at"])


def _locked(resident: Resident | int) -> Resident:
    pk = resident.pk if isinstance(resident, Resident) else int(resident)
    found = Resident.objects.select_for_update().select_related("node").filter(pk=pk).first()
    if found is None or found.status == ResidentStatus.ERASED:
        raise NotFound(gettext_noop("No such record in your area."))
    return found


@transaction.atomic
def set_level(*, resident: Resident | int, level: str, reason: str, actor: Any, at: datetime | None = None) -> Resident:
    """Put a resident in care at ``level`` (red / yellow / green), move them to another level, or take them out of
    care (``level`` blank); the reason is required and kept in the history; the next visit is rescheduled."""
    locked = _locked(resident)
    _require_manage(actor, locked.node)
    _set_level(locked, level=level, reason=reason, actor=actor, now=at or timeutil.now())
    return locked


@transaction.atomic
def set_groups(*, resident: Resident | int, groups: Iterable[CareGroup], actor: Any) -> Resident:
    locked = _locked(resident)
    _require_manage(actor, locked.node)
    groups = list(groups)
    if any(group.jurisdiction_id != locked.jurisdiction_id for group in groups):
        raise DomainError(gettext_noop("A care group of another jurisdiction."))
    locked.groups.set(groups)
    Resident.objects.filter(pk=locked.pk).update(updated_at=timeutil.now())
    return locked


@transaction.atomic
def update_contact(*, resident: Resident | int, phone: str, actor: Any) -> Resident:
    locked = _locked(resident)
    _require_manage(actor, locked.node)
    digits = checked_phone(phone)
    locked.phone = digits
    locked.phone_index = crypto.blind_index(digits) if digits else ""
    locked.updated_at = timeutil.now()
    locked.save(update_fields=["phone", "phone_index", "updated_at"])
    return locked


@transaction.atomic
def move_out(*, resident: Resident | int, on: date, actor: Any, at: datetime | None = None) -> Resident:
    """The resident left their household (and the area): no more visits; kept until the retention rule erases them."""
    locked = _locked(resident)
    _require_manage(actor, locked.node)
    if locked.household_id is None or locked.status != ResidentStatus.LIVING:
        raise Conflict(gettext_noop("The resident does not live in a household here."))
    now = at or timeutil.now()
    if on > timeutil.local(now).date():
        raise DomainError(gettext_noop("A move out cannot be recorded before it happens."))
    Move.objects.create(
        resident=locked, household_id=locked.household_id, action=MoveAction.MOVED_OUT, on=on, by=_user(actor), at=now
    )
    Household.objects.filter(pk=locked.household_id, head=locked).update(head=None, updated_at=now)
    locked.household = None
    locked.status = ResidentStatus.MOVED_AWAY
    locked.moved_away_on = on
    locked.next_visit_due = None
    locked.updated_at = now
    locked.save(update_fields=["household", "status", "moved_away_on", "next_visit_due", "updated_at"])
    return locked


@transaction.atomic
def move_in(
    *,
    resident: Resident | int,
    household: Household,
    on: date,
    relation: str = "",
    actor: Any,
    at: datetime | None = None,
) -> Resident:
    """A resident (back, or from another household of the registry) moves into ``household``."""
    locked = _locked(resident)
    _require_manage(actor, locked.node)
    _require_manage(actor, household.node)
    if household.jurisdiction_id != locked.jurisdiction_id:
        raise DomainError(gettext_noop("A household of another jurisdiction."))
    if relation and relation not in Relation.values:
        raise DomainError(gettext_noop("Unknown relation to the household head."))
    now = at or timeutil.now()
    if on > timeutil.local(now).date():
        raise DomainError(gettext_noop("A move in cannot be recorded before it happens."))
    if locked.status == ResidentStatus.DECEASED or locked.erased_at is not None:
        raise Conflict(gettext_noop("This record cannot move into a household."))
    if locked.household_id is not None and locked.household_id != household.pk:
        Move.objects.create(
            resident=locked,
            household_id=locked.household_id,
            action=MoveAction.MOVED_OUT,
            on=on,
            by=_user(actor),
            at=now,
        )
        Household.objects.filter(pk=locked.household_id, head=locked).update(head=None, updated_at=now)
    elif locked.household_id == household.pk:
        raise Conflict(gettext_noop("The resident already lives in this household."))
    Move.objects.create(
        resident=locked, household=household, action=MoveAction.MOVED_IN, on=on, by=_user(actor), at=now
    )
    locked.household = household
    locked.node_id = household.node_id
    locked.relation = relation
    locked.status = ResidentStatus.LIVING
    locked.moved_away_on = None
    locked.updated_at = now
    locked.next_visit_due = _due(locked)
    locked.save(
        update_fields=["household", "node", "relation", "status", "moved_away_on", "next_visit_due", "updated_at"]
    )
    if relation == Relation.HEAD:
        _make_head(household.pk, locked, now)
    return locked


def _make_head(household_id: int, resident: Resident, now: datetime) -> None:
    """``resident`` heads the household; a former head stays a member, their relation to the new head unknown."""
    Resident.objects.filter(household_id=household_id, relation=Relation.HEAD).exclude(pk=resident.pk).update(
        relation="", updated_at=now
    )
    Household.objects.filter(pk=household_id).update(head=resident, updated_at=now)


@transaction.atomic
def set_head(
    *, household: Household | int, resident: Resident | int, actor: Any, at: datetime | None = None
) -> Resident:
    """A member who lives in the household becomes its head (户主): the household row is locked first, so two
    changes at once leave one head."""
    household_id = household.pk if isinstance(household, Household) else household
    found = Household.objects.select_for_update(of=("self",)).select_related("node").filter(pk=household_id).first()
    if found is None:
        raise NotFound(gettext_noop("No such record in your area."))
    _require_manage(actor, found.node)
    locked = _locked(resident)
    if locked.household_id != found.pk or locked.status != ResidentStatus.LIVING:
        raise Conflict(gettext_noop("Only a member who lives in the household can head it."))
    if found.head_id == locked.pk:
        raise Conflict(gettext_noop("This resident already heads the household."))
    now = at or timeutil.now()
    _make_head(found.pk, locked, now)
    locked.relation = Relation.HEAD
    locked.updated_at = now
    locked.save(update_fields=["relation", "updated_at"])
    return locked


# ------------------------------------------------------------------------------------------------------- visits


@transaction.atomic
def record_visit(
    *,
    resident: Resident | int,
    visitor: Any,
    outcome: str,
    findings: str = "",
    next_step: str = "",
    photos: Sequence[str] = (),
    visited_on: date | None = None,
    at: datetime | None = None,
) -> Visit:
    """A visit made: on time when on or before the day it was due; the next visit is scheduled from it. ``photos``
    are storage names of photos already checked and stripped (``core.photos.clean``) by the interface."""
    locked = _locked(resident)
    _require_view(visitor, locked.node)
    if outcome not in Outcome.values:
        raise DomainError(gettext_noop("Say what the visit found."))
    now = at or timeutil.now()
    today = timeutil.local(now).date()
    day = visited_on or today
    if day > today:
        raise DomainError(gettext_noop("A visit cannot be recorded before it happens."))
    if locked.status != ResidentStatus.LIVING:
        raise Conflict(gettext_noop("The resident no longer lives here."))
    findings = checked_text(findings, gettext_noop("findings"), required=outcome != Outcome.WELL, max_length=2000)
    visit = Visit.objects.create(
        resident=locked,
        node_id=locked.node_id,
        visitor=_user(visitor),
        level=locked.level,
        due=locked.next_visit_due,
        visited_on=day,
        on_time=schedule.on_time(day, locked.next_visit_due),
        outcome=outcome,
        findings=findings,
        next_step=checked_text(next_step, gettext_noop("next step")),
        photos=list(photos),
        recorded_at=now,
    )
    if outcome != Outcome.NOT_HOME and (locked.last_visit is None or day >= locked.last_visit):
        # Nobody at home is recorded (and counts as an attempt) but does not reset the schedule.
        locked.last_visit = day
        locked.next_visit_due = _due(locked)
        locked.updated_at = now
        locked.save(update_fields=["last_visit", "next_visit_due", "updated_at"])
    return visit


@transaction.atomic
def link_case(
    *,
    resident: Resident | int,
    case_id: int,
    tracking_code: str,
    kind: str,
    assistance: str = "",
    visit: Visit | None = None,
    actor: Any,
    at: datetime | None = None,
) -> CaseLink:
    """Name a case filed for the resident (by the interface, through the cases services): a problem found on a
    visit, or an assistance application (a case of kind help)."""
    locked = _locked(resident)
    _require_view(actor, locked.node)
    if kind not in LinkKind.values:
        raise DomainError(gettext_noop("Unknown kind of case link."))
    if kind == LinkKind.HELP and assistance not in Assistance.values:
        raise DomainError(gettext_noop("Say which assistance is applied for."))
    if visit is not None and visit.resident_id != locked.pk:
        raise DomainError(gettext_noop("The visit is another resident's."))
    return CaseLink.objects.create(
        resident=locked,
        visit=visit,
        kind=kind,
        assistance=assistance if kind == LinkKind.HELP else "",
        case_id=case_id,
        tracking_code=tracking_code,
        by=_user(actor),
        at=at or timeutil.now(),
    )


@transaction.atomic
def record_consent(
    *, resident: Resident | int, purpose: str, given: bool, note: str, actor: Any, at: datetime | None = None
) -> Consent:
    locked = _locked(resident)
    _require_view(actor, locked.node)
    if purpose not in ConsentPurpose.values:
        raise DomainError(gettext_noop("Unknown purpose of consent."))
    return Consent.objects.create(
        resident=locked,
        purpose=purpose,
        given=bool(given),
        note=checked_text(note, gettext_noop("how it was given"), required=True),
        by=_user(actor),
        at=at or timeutil.now(),
    )


def has_consent(resident: Resident, purpose: str) -> bool:
    """The latest word of the resident on ``purpose``: given, or not (never asked counts as not)."""
    latest = Consent.objects.filter(resident=resident, purpose=purpose).order_by("-at", "-pk").first()
    return bool(latest and latest.given)


# ------------------------------------------------------------------------------------------------------- privacy


def _log(
    *,
    user: Any,
    jurisdiction_id: int,
    action: str,
    resident: Resident | None = None,
    household: Household | None = None,
    purpose: str = "",
    detail: str = "",
) -> AccessEntry:
    return AccessEntry.objects.create(
        at=timeutil.now(),
        user=_user(user),
        jurisdiction_id=jurisdiction_id,
        action=action,
        resident_id_ref=resident.pk if resident else None,
        household_id_ref=(household.pk if household else (resident.household_id if resident else None)),
        purpose=purpose,
        detail=detail[:200],
    )


@transaction.atomic
def read_full(*, user: Any, resident: Resident | int, purpose: str, detail: str = "") -> Resident:
    """Open a resident's full record (name, ID number, phone in clear) for ``purpose``: exactly one access-log row.
    Out of scope, erased or unknown: NotFound, and nothing is logged."""
    pk = resident.pk if isinstance(resident, Resident) else int(resident)
    found = Resident.objects.select_related("node", "household").filter(pk=pk).first()
    if found is None or found.status == ResidentStatus.ERASED or not policies.can_view(user, found.node):
        raise NotFound(gettext_noop("No such record in your area."))
    if purpose not in Purpose.values:
        raise DomainError(gettext_noop("Say why you open this record."), code="purpose")
    detail = checked_text(detail, gettext_noop("detail"), max_length=200)
    _log(
        user=user,
        jurisdiction_id=found.jurisdiction_id,
        action=Access.READ,
        resident=found,
        purpose=purpose,
        detail=detail,
    )
    return found


@transaction.atomic
def export_own(*, user: Any, resident: Resident | int, detail: str = "") -> dict[str, Any]:
    """Everything the registry holds about one resident, for the resident (their request, PIPL art. 45): logged."""
    locked = _locked(resident)
    _require_manage(user, locked.node)
    _log(
        user=user,
        jurisdiction_id=locked.jurisdiction_id,
        action=Access.EXPORT_OWN,
        resident=locked,
        purpose=Purpose.REQUEST,
        detail=checked_text(detail, gettext_noop("detail")),
    )
    household = locked.household
    return {
        "name": locked.name,
        "id_number": locked.id_number,
        "phone": locked.phone,
        "born": locked.born.isoformat() if locked.born else "",
        "sex": locked.get_sex_display() if locked.sex else "",
        "status": locked.get_status_display(),
        "household": household.code if household else "",
        "room": household.room if household else "",
        "address": (household.address or (household.building.address if household.building else ""))
        if household
        else "",
        "relation": locked.get_relation_display() if locked.relation else "",
        "groups": [group.name for group in locked.groups.all()],
        "level": locked.get_level_display() if locked.level else "",
        "level_reason": locked.level_reason,
        "levels": [
            {"at": change.at.isoformat(), "from": change.level_from, "to": change.level_to, "reason": change.reason}
            for change in locked.level_changes.all()
        ],
        "moves": [{"on": move.on.isoformat(), "action": move.action} for move in locked.moves.all()],
        "visits": [
            {
                "on": visit.visited_on.isoformat(),
                "outcome": visit.get_outcome_display(),
                "findings": visit.findings,
                "next_step": visit.next_step,
            }
            for visit in locked.visits.all()
        ],
        "cases": [link.tracking_code for link in locked.case_links.all()],
        "consents": [
            {"at": consent.at.isoformat(), "purpose": consent.purpose, "given": consent.given}
            for consent in locked.consents.all()
        ],
    }


@dataclass(frozen=True)
class Erased:
    """What the interface still has to anonymise elsewhere: the resident's cases and the visit photos to delete."""

    resident_id: int
    case_ids: tuple[int, ...]
    photos: tuple[str, ...]


@transaction.atomic
def erase(*, user: Any, resident: Resident | int, reason: str, at: datetime | None = None) -> Erased:
    """Erase a resident on their request (or by the retention rule, ``user`` None): name, ID number, phone, date of
    birth, notes, visit findings and photos are gone; the row stays as an anonymous resident so figures still add up
    (their level, groups and visit dates). The cases linked to them are returned for the cases service to anonymise."""
    locked = _locked(resident)
    if user is not None:
        _require_manage(user, locked.node)
    reason = checked_text(reason, gettext_noop("reason"), required=True)
    now = at or timeutil.now()
    photos = tuple(name for visit in locked.visits.all() for name in visit.photos)
    locked.visits.update(findings="", next_step="", photos=[])
    locked.level_changes.update(reason="")
    locked.consents.update(note="")
    Household.objects.filter(pk=locked.household_id, head=locked).update(head=None, updated_at=now)
    household_id = locked.household_id
    if household_id and not Resident.objects.filter(household_id=household_id).exclude(pk=locked.pk).exists():
        Household.objects.filter(pk=household_id).update(contact_phone="", contact_index="", note="", updated_at=now)
    for field in ("name", "name_index", "id_number", "id_index", "id_masked", "phone", "phone_index"):
        setattr(locked, field, "")
    locked.born = None
    locked.sex = ""
    locked.note = ""
    locked.level_reason = ""
    locked.status = ResidentStatus.ERASED
    locked.next_visit_due = None
    locked.erased_at = now
    locked.updated_at = now
    locked.save()
    _log(
        user=user,
        jurisdiction_id=locked.jurisdiction_id,
        action=Access.ERASE,
        resident=locked,
        purpose=Purpose.REQUEST if user is not None else "",
        detail=reason,
    )
    return Erased(
        resident_id=locked.pk,
        case_ids=tuple(locked.case_links.values_list("case_id", flat=True)),
        photos=photos,
    )


def log_registry_export(*, user: Any, jurisdiction_id: int, rows: int, masked: bool, detail: str = "") -> AccessEntry:
    """An export of the registry (a list of residents) is audited: how many rows, masked or not."""
    words = f"{rows} rows, {'masked' if masked else 'unmasked'}"
    return _log(
        user=user,
        jurisdiction_id=jurisdiction_id,
        action=Access.EXPORT_REGISTRY,
        purpose=Purpose.VERIFY,
        detail=f"{words}; {detail}" if detail else words,
    )


def due_for_retention(*, jurisdiction_id: int | None = None, older_than_days: int, today: date) -> list[int]:
    """Residents who moved away (or died) more than ``older_than_days`` ago: the retention rule erases them."""
    cutoff = date.fromordinal(today.toordinal() - older_than_days)
    rows = Resident.objects.filter(
        Q(status=ResidentStatus.MOVED_AWAY) | Q(status=ResidentStatus.DECEASED), moved_away_on__lt=cutoff
    )
    if jurisdiction_id is not None:
        rows = rows.filter(jurisdiction_id=jurisdiction_id)
    return list(rows.values_list("pk", flat=True))


def now_aware() -> datetime:
    return timezone.now()
