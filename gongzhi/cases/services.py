"""Case use cases: one function per action. Each checks policy and transition, locks the row, writes exactly one
event per change, and notifies after commit (DESIGN.md §3, §5). The actions on a case are ``@optimistic``
(core.transactions): on SQLite they read and decide before their transaction begins, and write only if the case row
is still as they read it (else they run again with the lock taken first); on PostgreSQL the row is locked ``FOR
UPDATE`` for the whole action.

Conventions: keyword-only arguments; ``actor`` is the acting user or None for the system (sweeps); ``at`` is "now"
(``core.timeutil.now()`` unless a simulation drives the clock); every function returns the updated case.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from gongzhi.cases import attribute_keys, catalogue_cache, notify, selectors, sla
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import Channel, CoTaskStatus, EventKind, NoticeKind, Score, SlaState, Urgency
from gongzhi.cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    CoHandlingTask,
    DepartmentCase,
    PhoneReveal,
    Rating,
    SupervisionNotice,
    new_public_id,
)
from gongzhi.cases.policies import (
    phone_reveal_basis,
    require_accept,
    require_handler,
    require_over_node,
    require_recorder,
    require_report_in,
    require_reporter,
)
from gongzhi.cases.public import MAX_SUMMARY, prefilled_summary
from gongzhi.core import caches, crypto, prepared, timeutil
from gongzhi.core.calendar_days import current_calendar
from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied, Term, gettext_noop
from gongzhi.core.privacy import mask_name, mask_text
from gongzhi.core.transactions import begin_now, optimistic
from gongzhi.grid import coords, location, roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, Department, GridNode, Jurisdiction
from gongzhi.routing import services as routing

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud on the phone
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_PURPOSE = 200

# Fallback deadlines when neither the category nor the jurisdiction has a policy (minutes).
DEFAULT_POLICIES = {
    Urgency.NORMAL: sla.Policy(response_minutes=1440, resolve_minutes=5 * 1440, working_time=True),
    Urgency.URGENT: sla.Policy(response_minutes=120, resolve_minutes=1440),
    Urgency.EMERGENCY: sla.Policy(response_minutes=30, resolve_minutes=1440),
}


def _now(at: datetime | None) -> datetime:
    return at or timeutil.now()


# ---------------------------------------------------------------------------------------------------------- helpers


def _locked(case: Case | int) -> Case:
    """The case row, locked for this transaction (SQLite: the IMMEDIATE transaction holds the write lock), read with
    a prepared statement; its grid nodes come from the per-process node cache (DESIGN.md §3, "hot path")."""
    pk = case.pk if isinstance(case, Case) else case
    row = prepared.get(Case, pk, for_update=True)
    if row is None:
        raise NotFound(gettext_noop("case not found"))
    _attach_nodes(row)
    return row


def _attach_nodes(case: Case) -> None:
    Case.owner_node.field.set_cached_value(case, grid_selectors.node(case.owner_node_id))
    if case.grid_node_id is not None:
        Case.grid_node.field.set_cached_value(case, grid_selectors.node(case.grid_node_id))


def facts(case: Case, *, on_the_spot: bool = False, private: bool = False) -> t.Facts:
    """What the state machine's guards know about ``case``: the services ask it before every action, and the console
    asks the same before offering one. ``private``: the case's category is private (only publishing looks at it)."""
    return t.Facts(
        status=case.status,
        level=case.level,
        public=case.public,
        open_co_tasks=case.open_co_tasks,
        has_handler=bool(case.handler_user_id or case.handler_node_id or case.handler_department_id),
        on_the_spot=on_the_spot,
        private=private,
        resolved=case.resolved_at is not None,
        duplicates=case.duplicate_count,
    )


def _event(
    case: Case,
    kind: str,
    *,
    actor: Any,
    at: datetime,
    from_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool = True,
    counted: bool = False,
) -> None:
    """Append one timeline row; the caller saves the case (event_count is the sequence). ``counted``: the case row
    was written with this event already counted (submit inserts the case with its first event)."""
    if not counted:
        case.event_count += 1
    prepared.insert_values(
        CaseEvent,
        case_id=case.pk,
        seq=case.event_count,
        kind=kind,
        actor_id=actor.pk if getattr(actor, "pk", None) else None,
        from_status=from_status or case.status,
        to_status=case.status,
        note=note,
        data=data or {},
        public=public,
        at=at,
    )


def _save(case: Case, *fields: str) -> None:
    prepared.update(case, (*fields, "event_count", "updated_at"))


# How messages name the text fields.
FIELD_TERMS = {
    "title": gettext_noop("title"),
    "description": gettext_noop("description"),
    "reason": gettext_noop("reason"),
    "task": gettext_noop("task"),
    "report": gettext_noop("report"),
    "result": gettext_noop("result"),
    "summary": gettext_noop("public summary"),
    "purpose": gettext_noop("purpose"),
}


def _require_text(value: str, *, field: str, maximum: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(gettext_noop("%(field)s is required"), params={"field": Term(FIELD_TERMS[field])})
    if len(value) > maximum:
        raise DomainError(
            gettext_noop("%(field)s is too long (%(n)d characters; at most %(max)d)"),
            params={"field": Term(FIELD_TERMS[field]), "n": len(value), "max": maximum},
        )
    return value


_owner_for = selectors.owner_for


def policy_for(case: Case) -> sla.Policy:
    """The deadline policy of the case's category or its nearest ancestor, else the jurisdiction's, else built-in."""
    found = catalogue_cache.table(case.jurisdiction_id).policy(case.category_id, case.urgency)
    return found or DEFAULT_POLICIES[Urgency(case.urgency)]


def _set_deadlines(case: Case, start: datetime) -> None:
    policy = policy_for(case)
    case.response_due, case.resolve_due = sla.deadlines(
        start, policy, current_calendar(), timezone.get_current_timezone()
    )
    case.sla_working_time = policy.working_time
    case.sla_warn_ratio = policy.warn_ratio
    case.sla_grace_minutes = policy.grace_minutes
    case.sla_state = SlaState.ON_TRACK
    _set_sweep_times(case, start)


def _set_sweep_times(case: Case, start: datetime) -> None:
    """When the sweep needs to look at the case again (so it never scans cases that cannot change)."""
    if case.resolve_due is None:
        case.sla_warn_at = case.sla_escalate_at = None
        return
    tz, calendar = timezone.get_current_timezone(), current_calendar()
    span = sla.elapsed_minutes(start, case.resolve_due, working=case.sla_working_time, calendar=calendar, tz=tz)
    case.sla_warn_at = sla.add_duration(
        start, span * case.sla_warn_ratio, working=case.sla_working_time, calendar=calendar, tz=tz
    )
    case.sla_escalate_at = case.resolve_due + timedelta(minutes=case.sla_grace_minutes)


SLA_FIELDS = (
    "response_due",
    "resolve_due",
    "sla_working_time",
    "sla_warn_ratio",
    "sla_grace_minutes",
    "sla_state",
    "sla_warn_at",
    "sla_escalate_at",
)


def _new_tracking_code(at: datetime) -> str:
    return f"{timezone.localtime(at):%y%m}" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))


# ----------------------------------------------------------------------------------------------------------- submit


# Which of the (at most five) possible duplicates triage found are still open: one statement compiled once, its
# unused places filled with 0 (no case has that id). Planned at every execution: a generic plan made while the table
# was small scans it whole, and an import adds thousands of cases in one transaction (core.prepared.Query).
_OPEN_AMONG_FIVE = prepared.Query(
    lambda a, b, c, d, e: Case.objects.filter(pk__in=[a, b, c, d, e], status__in=t.OPEN).order_by().values_list("pk"),
    plan_each_time=True,
)


def _still_open(ids: list[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(ids), 5):
        chunk = ids[start : start + 5]
        found += [pk for (pk,) in _OPEN_AMONG_FIVE(*chunk, *[0] * (5 - len(chunk)))]
    return found


@dataclass(frozen=True)
class Submission:
    """A request checked, placed and sorted (梳理) by ``prepare_submission``, not written yet: what
    ``file_submission`` writes."""

    case: Case
    suggestion: routing.Suggestion
    actor: Any
    urgency: str | None
    node: GridNode | None
    owner: GridNode
    receipt: bool = True  # text the reporter the "received" message (not when the report joins another at once)


def submit(**request: Any) -> Case:
    """上报: file a case — ``prepare_submission``'s checks and reads (its arguments are this function's), then
    ``file_submission``'s writes."""
    return file_submission(prepare_submission(**request))


def prepare_submission(
    *,
    jurisdiction: Jurisdiction,
    channel: str,
    title: str,
    description: str = "",
    category: CaseCategory | None = None,
    urgency: str | None = None,
    reporter: Any = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_login_phone: str = "",
    anonymous: bool = False,
    building: Building | None = None,
    lat: float | None = None,
    lon: float | None = None,
    coord_system: str = "wgs84",
    place_node: GridNode | None = None,
    address: str = "",
    recorded_by: Any = None,
    external_id: str = "",
    source: str = "",
    attributes: dict[str, Any] | None = None,
    internal_attributes: dict[str, Any] | None = None,
    photos: Iterable[str] = (),
    at: datetime | None = None,
) -> Submission:
    """Everything of 上报 that only reads: checking the input, finding the place, 梳理 (the classifier, the duplicate
    search), the owner and the deadlines. Location comes from the building, else the coordinates; the community
    there owns the case; ``place_node`` is where it is when neither says (a compound picked by staff: its grid
    unit). ``external_id`` is the case's id in another system, unique per jurisdiction, channel and
    ``source`` (the exchange partner filing it, if any). ``reporter_login_phone`` is the number the reporter proved
    by an SMS code (the resident pages' phone login): the case is theirs whatever contact number they gave.

    It runs before any transaction, so that the transaction only writes (``file_submission``): on SQLite another
    request's writes then wait only for those writes, not for the classifier. A caller that writes rows of its own in
    the same transaction as the case (the exchange API) prepares first and then opens that transaction.

    ``attributes`` are the reporter's answers, as a client sent them: a reserved key (``cases.attribute_keys``) is
    refused. ``internal_attributes`` are what the calling interface records for itself, under reserved keys only.
    """
    now = _now(at)
    taken = attribute_keys.reserved(str(key) for key in (attributes or {}))
    if taken:
        raise DomainError(
            gettext_noop("attribute %(key)s is reserved for gongzhi's own use (keys starting with _ are)"),
            code="reserved_attribute",
            params={"key": taken[0][:64]},
        )
    if any(not attribute_keys.is_reserved(key) for key in (internal_attributes or {})):
        raise ValueError("internal attributes go under reserved keys only (cases.attribute_keys)")
    if channel not in Channel.values:
        raise DomainError(gettext_noop("unknown channel %(channel)r"), params={"channel": channel})
    title = _require_text(title, field="title", maximum=MAX_TITLE)
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            gettext_noop("%(field)s is too long (%(n)d characters; at most %(max)d)"),
            params={"field": Term(FIELD_TERMS["description"]), "n": len(description), "max": MAX_DESCRIPTION},
        )
    if category is not None and category.jurisdiction_id != jurisdiction.pk:
        raise DomainError(gettext_noop("the category belongs to another jurisdiction"))
    if urgency is not None and urgency not in Urgency.values:
        raise DomainError(gettext_noop("unknown urgency %(urgency)r"), params={"urgency": urgency})
    phone = crypto.normalise_phone(reporter_phone) if reporter_phone else ""
    login_phone = crypto.normalise_phone(reporter_login_phone) if reporter_login_phone else ""
    for given, number in ((reporter_phone, phone), (reporter_login_phone, login_phone)):
        if given and not (len(number) == 11 and number.startswith("1")):
            raise DomainError(
                gettext_noop("the phone number is not a mainland mobile number (11 digits starting with 1)")
            )
    node: GridNode | None = None
    if building is not None:
        if building.jurisdiction_id != jurisdiction.pk:
            raise DomainError(gettext_noop("the building belongs to another jurisdiction"))
        node = grid_selectors.node(building.node_id)
        if lat is None and building.lat is not None:
            lat, lon = building.lat, building.lon
    elif lat is not None and lon is not None:
        found = location.locate(jurisdiction.pk, lat, lon, system=coord_system)
        lat, lon = coords.to_wgs84(lat, lon, coord_system)
        if found.node_id is not None:
            node = grid_selectors.node(found.node_id)
    elif (lat is None) != (lon is None):
        raise DomainError(gettext_noop("give both latitude and longitude, or neither"))
    if node is None and place_node is not None:
        if place_node.jurisdiction_id != jurisdiction.pk:
            raise DomainError(gettext_noop("the place belongs to another jurisdiction"))
        node = grid_selectors.node(place_node.pk)
    # 梳理 at intake (routing): suggestions, the emergency flag, duplicates nearby, a place named in the text.
    suggestion = routing.suggest(
        jurisdiction_id=jurisdiction.pk,
        title=title,
        description=description,
        lat=lat,
        lon=lon,
        node_id=node.pk if node is not None else None,
        at=now,
        locate=node is None and lat is None,
    )
    if node is None and suggestion.place is not None:
        building, node, lat, lon = _place_from_text(jurisdiction, suggestion.place)
    if urgency is None and suggestion.emergency:
        urgency = Urgency.EMERGENCY
    if node is not None:
        owner = _owner_for(node, roles.COMMUNITY)
    else:
        root = GridNode.objects.filter(jurisdiction=jurisdiction, parent__isnull=True).defer("boundary").first()
        if root is None:
            raise DomainError(gettext_noop("the jurisdiction has no grid yet"))
        owner = root

    case = Case(
        jurisdiction=jurisdiction,
        channel=channel,
        title=title,
        description=description.strip(),
        category=category,
        kind=category.kind if category else "report",
        urgency=urgency or (category.default_urgency if category else Urgency.NORMAL),
        reporter=reporter if getattr(reporter, "pk", None) else None,
        reporter_name=reporter_name.strip()[:64],
        reporter_phone=phone,
        reporter_phone_index=crypto.blind_index(phone) if phone else "",
        reporter_login_phone=login_phone,
        reporter_login_index=crypto.blind_index(login_phone) if login_phone else None,
        anonymous=anonymous,
        recorded_by=recorded_by,
        lat=lat,
        lon=lon,
        address=address.strip()[:200],
        building=building,
        grid_node=node,
        owner_node=owner,
        level=owner.level,
        status=t.SUBMITTED,
        submitted_at=now,
        external_id=external_id,
        source=source[:32] if external_id else "",
        attributes={**(attributes or {}), **(internal_attributes or {})},
        photos=list(photos),
    )
    _set_deadlines(case, now)
    case.event_count = 1  # the row goes in with its "submitted" event counted: no UPDATE just for the counter
    return Submission(case, suggestion, recorded_by or reporter, urgency, node, owner)


def file_submission(submission: Submission) -> Case:
    """上报's writes, in one transaction (on SQLite begun at its first write; inside an open transaction, a part of
    it): the case row, its event, auto-triage, the triage record, the notifications. A submission is filed once."""
    case = submission.case
    if case.pk is not None:
        raise DomainError(gettext_noop("this submission has been filed already"))
    _file(
        case,
        submission.suggestion,
        actor=submission.actor,
        urgency=submission.urgency,
        node=submission.node,
        owner=submission.owner,
        receipt=submission.receipt,
    )
    return case


@optimistic
def submit_following(*, into: Case | int, **request: Any) -> Case:
    """上报 of a report its resident says is the same problem as the open case ``into`` — "already reported nearby:
    follow that one" (the resident pages offer open cases nearby from ``selectors.nearby_open_cases``). The report is
    filed (its text, photos and contact reach staff as usual) and merged into ``into`` at once, by the system on the
    reporter's word: the reporter then follows that case — its progress on their tracking page, its result by text
    message, and they may rate it (as every merged duplicate's reporter may). ``into`` must still be open
    (Conflict otherwise: the caller may send the report on its own)."""
    parent_id = into.pk if isinstance(into, Case) else int(into)
    parent = prepared.get(Case, parent_id)
    if parent is None or parent.status not in t.OPEN:
        raise Conflict(gettext_noop("the case to follow is no longer open"))
    submission = prepare_submission(**request)
    if parent.jurisdiction_id != submission.case.jurisdiction_id:
        raise DomainError(gettext_noop("cases of different jurisdictions cannot be merged"))
    case = file_submission(replace(submission, receipt=False))
    return merge(case=case, into=parent_id, actor=None, by_reporter=True)


@optimistic
def submit_solved_on_the_spot(*, result: str, recorded_by: Any, **submission: Any) -> Case:
    """即时办结 at intake: a case ``recorded_by`` a member of staff (``submit``'s arguments) and resolved by them on the
    spot with ``result`` — both or neither. Like ``submit``, its reads run before the transaction begins."""
    case = submit(recorded_by=recorded_by, **submission)
    return resolve(case=case, actor=recorded_by, result=result, on_the_spot=True)


@optimistic
def _file(
    case: Case,
    suggestion: routing.Suggestion,
    *,
    actor: Any,
    urgency: str | None,
    node: GridNode | None,
    owner: GridNode,
    receipt: bool = True,
) -> None:
    """submit's writes: the case row, its event, auto-triage, the triage record, the notifications."""
    now, jurisdiction, external_id, channel = case.submitted_at, case.jurisdiction, case.external_id, case.channel
    # A taken tracking code (or external id) skips the row instead of failing, so no savepoint is needed.
    for _attempt in range(5):
        case.tracking_code = _new_tracking_code(now)
        if _attempt:
            case.public_id = new_public_id()  # in case it was the public id that was taken (60 bits: never seen)
        if prepared.insert_unless_taken(case) is not None:
            break
        if (
            external_id
            and Case.objects.filter(
                jurisdiction=jurisdiction, channel=channel, source=case.source, external_id=external_id
            ).exists()
        ):
            raise Conflict(gettext_noop("a case with external id %(id)r already exists"), params={"id": external_id})
    else:  # pragma: no cover - 32^6 codes a month
        raise DomainError(gettext_noop("could not allocate a tracking code; try again"))
    _event(
        case,
        EventKind.SUBMITTED,
        actor=actor,
        at=now,
        from_status="",
        data={"channel": channel},
        counted=True,
    )
    open_dups = _still_open([m.case_id for m in suggestion.duplicates])
    # A possible duplicate waits for the dispatcher: merging is only possible before triage.
    auto = (
        case.category is None
        and suggestion.auto
        and not open_dups
        and _auto_triage(case, suggestion, urgency_given=urgency, now=now)
    )
    if auto:
        _save(case, *TRIAGE_FIELDS)
    routing.record(
        case_id=case.pk,
        jurisdiction_id=jurisdiction.pk,
        suggestion=suggestion,
        title=case.title,
        description=case.description,
        at=now,
        lat=case.lat,
        lon=case.lon,
        node_id=node.pk if node is not None else None,
        node_path=(node or owner).path,
        auto_applied=auto,
        open_duplicates=open_dups,
    )
    notify.case_submitted(case, receipt=receipt)


def _place_from_text(
    jurisdiction: Jurisdiction, place: routing.PlaceFound
) -> tuple[Building | None, GridNode | None, float | None, float | None]:
    """A building or grid unit named in the text of a request that came without a place."""
    building = None
    if place.building_id is not None:
        building = Building.objects.filter(pk=place.building_id, jurisdiction=jurisdiction).first()
    node_id = building.node_id if building is not None else place.node_id
    node = grid_selectors.node(node_id) if node_id is not None else None
    if node is not None and node.jurisdiction_id != jurisdiction.pk:
        return None, None, None, None
    return building, node, place.lat, place.lon


# Per process: the categories auto-triage may apply, by code, kept as long as the catalogue cache's table (a catalogue
# edit or its expiry makes a new table, and these are read again).
_auto_categories: dict[int, tuple[catalogue_cache.Table, dict[str, CaseCategory | None]]] = {}
caches.register(f"{__name__}.auto_categories", _auto_categories.clear)


def _auto_category(jurisdiction_id: int, code: str) -> CaseCategory | None:
    """The active leaf category with this code (None: not one triage may apply), read once per catalogue table."""
    table = catalogue_cache.table(jurisdiction_id)
    cached = _auto_categories.get(jurisdiction_id)
    if cached is None or cached[0] is not table:
        cached = _auto_categories[jurisdiction_id] = (table, {})
    known = cached[1]
    if code not in known:
        info = next((c for c in table.categories.values() if c.code == code), None)
        category = None
        if info is not None and not any(c.parent_id == info.pk for c in table.categories.values()):
            category = prepared.get(
                CaseCategory,
                info.pk,
                only=("jurisdiction_id", "code", "name", "kind", "default_level", "default_urgency", "active"),
            )
        known[code] = category if category is not None and category.active else None
    return known[code]


def _auto_triage(case: Case, suggestion: routing.Suggestion, *, urgency_given: str | None, now: datetime) -> bool:
    """Apply a confident suggestion as the system (actor None), with the confidence in the event. A suggestion the
    catalogue or the place cannot take is left for the dispatcher."""
    category = _auto_category(case.jurisdiction_id, suggestion.category)
    if category is None:
        return False
    limit = routing.thresholds(case.jurisdiction_id).auto_confidence
    level = suggestion.level if suggestion.level and suggestion.level_confidence >= limit else None
    keep = case.urgency if urgency_given or suggestion.emergency else None
    data = {"auto": True, "confidence": suggestion.confidence, "model": suggestion.model_version}
    for choice in (level, None) if level else (None,):
        try:
            _apply_triage(case, actor=None, category=category, urgency=keep, level=choice, note="", now=now, data=data)
        except DomainError:
            continue
        return True
    return False


# ----------------------------------------------------------------------------------------------------------- triage


@optimistic
def triage(
    *,
    case: Case | int,
    actor: Any,
    category: CaseCategory,
    urgency: str | None = None,
    level: str | None = None,
    note: str = "",
    at: datetime | None = None,
) -> Case:
    """梳理: set category, urgency and handling level; the deadlines follow the category's policy."""
    now = _now(at)
    case = _locked(case)
    require_over_node(actor, roles.CASE_TRIAGE, case.owner_node, what="triage")
    _apply_triage(case, actor=actor, category=category, urgency=urgency, level=level, note=note, now=now)
    _save(case, *TRIAGE_FIELDS)
    return case


TRIAGE_FIELDS = ("category", "kind", "urgency", "level", "owner_node", "status", "triaged_at", *SLA_FIELDS)


def _apply_triage(
    case: Case,
    *,
    actor: Any,
    category: CaseCategory,
    urgency: str | None,
    level: str | None,
    note: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """Triage in memory plus its event; checks everything before changing anything. The caller saves."""
    before = case.status
    new_status = t.next_status(t.TRIAGE, facts(case))
    if category.jurisdiction_id != case.jurisdiction_id:
        raise DomainError(gettext_noop("the category belongs to another jurisdiction"))
    if urgency is not None and urgency not in Urgency.values:
        raise DomainError(gettext_noop("unknown urgency %(urgency)r"), params={"urgency": urgency})
    level = level or category.default_level
    if level not in roles.LEVELS:
        raise DomainError(gettext_noop("unknown level %(level)r"), params={"level": level})
    base = case.grid_node or case.owner_node
    owner = _owner_for(base, level)
    if not owner.is_ancestor_of(base) and owner != base:
        raise DomainError(gettext_noop("the handling level does not fit where the case is"))
    # The first triage takes the category's default urgency unless told otherwise; later ones keep the case's.
    new_urgency = urgency or (category.default_urgency if case.category_id is None else case.urgency)
    deadlines_change = new_urgency != case.urgency or case.category_id != category.pk
    case.category, case.kind, case.urgency = category, category.kind, new_urgency
    case.level = level if roles.level_index(level) <= roles.level_index(base.level) else base.level
    case.owner_node = owner
    case.status = new_status
    case.triaged_at = case.triaged_at or now
    if deadlines_change:
        _set_deadlines(case, case.submitted_at)
    _event(
        case,
        EventKind.TRIAGED,
        actor=actor,
        at=now,
        from_status=before,
        note=note,
        data={
            "category": category.code,
            "urgency": case.urgency,
            "level": case.level,
            "owner": owner.pk,
            **(data or {}),
        },
        public=True,
    )


@optimistic
def reject(*, case: Case | int, actor: Any, reason: str, at: datetime | None = None) -> Case:
    """Not a case for us (spam, not our business): closed with the reason, told to the reporter."""
    now = _now(at)
    case = _locked(case)
    require_over_node(actor, roles.CASE_TRIAGE, case.owner_node, what="reject")
    reason = _require_text(reason, field="reason", maximum=1000)
    before = case.status
    case.status = t.next_status(t.REJECT, facts(case))
    case.closed_at = now
    case.sla_state = SlaState.DONE
    notify.reporter(case, "case.rejected")
    _event(case, EventKind.REJECTED, actor=actor, at=now, from_status=before, note=reason)
    _save(case, "status", "closed_at", "sla_state")
    return case


@optimistic
def merge(
    *, case: Case | int, into: Case | int, actor: Any, by_reporter: bool = False, at: datetime | None = None
) -> Case:
    """A duplicate follows its parent: the parent's result is the duplicate's, and its reporter may rate it.
    ``by_reporter``: merged by the system because the reporter chose to follow ``into`` (``submit_following``)."""
    now = _now(at)
    case = _locked(case)
    parent = _locked(into)
    require_over_node(actor, roles.CASE_TRIAGE, case.owner_node, what="merge")
    if parent.pk == case.pk:
        raise DomainError(gettext_noop("a case cannot be merged into itself"))
    if parent.jurisdiction_id != case.jurisdiction_id:
        raise DomainError(gettext_noop("cases of different jurisdictions cannot be merged"))
    if parent.status in t.FINAL or parent.status == t.MERGED:
        raise DomainError(gettext_noop("merge into an open or resolved case, not a closed, rejected or merged one"))
    before = case.status
    case.status = t.next_status(t.MERGE, facts(case))
    case.merged_into = parent
    case.closed_at = now
    case.sla_state = SlaState.DONE
    notify.reporter(case, "case.merged")
    data = {"into": parent.tracking_code, **({"by_reporter": True} if by_reporter else {})}
    _event(case, EventKind.MERGED, actor=actor, at=now, from_status=before, data=data)
    _save(case, "status", "merged_into", "closed_at", "sla_state")
    parent.duplicate_count += 1
    _event(
        parent, EventKind.DUPLICATE_ATTACHED, actor=actor, at=now, data={"duplicate": case.tracking_code}, public=False
    )
    _save(parent, "duplicate_count")
    return case


# ------------------------------------------------------------------------------------------------------ dispatching


@optimistic
def dispatch(
    *,
    case: Case | int,
    actor: Any,
    user: Any = None,
    node: GridNode | None = None,
    department: Department | None = None,
    pool: bool = False,
    note: str = "",
    at: datetime | None = None,
) -> Case:
    """交办 to a person, a unit (grid node), a department, or the stewards' pool of a micro-grid."""
    now = _now(at)
    case = _locked(case)
    require_over_node(actor, roles.CASE_DISPATCH, case.owner_node, what="dispatch")
    targets = sum(x is not None for x in (user, node, department))
    if targets != 1:
        raise DomainError(gettext_noop("dispatch to exactly one of: a person, a unit, a department"))
    before = case.status
    new_status = t.next_status(t.DISPATCH, facts(case))
    owner = case.owner_node
    handler_node: GridNode | None = None
    handler_department: Department | None = None
    if user is not None:
        posts = [p for p in grid_selectors.active_posts(user) if roles.can(p.role, roles.CASE_ACCEPT)]
        in_scope = [p for p in posts if p.node is not None and owner.is_ancestor_of(p.node)]
        dept_posts = [p for p in posts if p.department is not None and p.jurisdiction_id == case.jurisdiction_id]
        if in_scope:
            handler_node = max(in_scope, key=lambda p: p.node.level_index).node
        elif dept_posts:
            handler_department = dept_posts[0].department
        else:
            raise DomainError(
                gettext_noop("%(user)s holds no post that can take cases of %(node)s"),
                params={"user": str(user), "node": owner.name},
            )
    elif node is not None:
        if not owner.is_ancestor_of(node):
            raise DomainError(
                gettext_noop("%(node)s is outside %(owner)s"), params={"node": node.name, "owner": owner.name}
            )
        if pool and node.level != roles.MICRO_GRID:
            raise DomainError(gettext_noop("the stewards' pool belongs to a micro-grid"))
        handler_node = node
    else:
        assert department is not None
        if department.jurisdiction_id != case.jurisdiction_id or not department.active:
            raise DomainError(gettext_noop("the department is not an active department of this jurisdiction"))
        handler_department = department
    if pool and node is None:
        raise DomainError(gettext_noop("a pool dispatch names the micro-grid whose stewards take it"))
    case.handler_user = user
    case.handler_node = handler_node
    case.handler_department = handler_department
    case.pooled = pool
    # The level is where the work happens: the unit's own level, or the dispatcher's for a department.
    case.level = handler_node.level if handler_node is not None else owner.level
    case.status = new_status
    case.dispatched_at = now
    target = {
        "user": getattr(user, "pk", None),
        "node": getattr(handler_node, "pk", None),
        "department": getattr(handler_department, "pk", None),
        "pool": pool,
    }
    notify.new_task(case)
    _event(
        case,
        EventKind.DISPATCHED,
        actor=actor,
        at=now,
        from_status=before,
        note=note,
        data={**target, "level": case.level},
    )
    _save(case, "handler_user", "handler_node", "handler_department", "pooled", "level", "status", "dispatched_at")
    if handler_department is not None:
        _involve(case, handler_department.pk, DepartmentCase.Via.DISPATCHED, now)
    return case


def _involve(case: Case, department_id: int, via: str, now: datetime) -> None:
    """Record that the department has a part in the case (what its staff may read, for good): once per pair."""
    prepared.insert_unless_taken(DepartmentCase(department_id=department_id, case_id=case.pk, via=via, at=now))


@optimistic
def accept(*, case: Case | int, actor: Any, at: datetime | None = None) -> Case:
    """接单. For a pooled case the row lock makes exactly one steward win; the others get Conflict."""
    now = _now(at)
    case = _locked(case)
    if case.status == t.ACCEPTED:
        if case.handler_user_id == getattr(actor, "pk", None):
            raise Conflict(gettext_noop("you have already accepted this case"))
        raise Conflict(gettext_noop("already taken: another person accepted this case first"))
    before = case.status
    new_status = t.next_status(t.ACCEPT, facts(case))
    if actor is None:
        raise PermissionDenied(gettext_noop("a case is accepted by a person, not by the system"))
    require_accept(actor, case)
    case.handler_user = actor
    case.status = new_status
    if case.accepted_at is None:
        case.accepted_at = now
        case.responded_on_time = case.response_due is None or now <= case.response_due
    notify.reporter(case, "case.accepted")
    _event(
        case,
        EventKind.ACCEPTED,
        actor=actor,
        at=now,
        from_status=before,
        data={"pooled": case.pooled, "handler": actor.pk},
    )
    _save(case, "handler_user", "status", "accepted_at", "responded_on_time")
    return case


@optimistic
def return_case(*, case: Case | int, actor: Any, reason: str, at: datetime | None = None) -> Case:
    """退回: the handler (or, before anyone accepted, the unit it went to) sends it back to the dispatcher."""
    now = _now(at)
    case = _locked(case)
    reason = _require_text(reason, field="reason", maximum=1000)
    if case.status == t.ACCEPTED:
        require_handler(actor, case, what="return")
    else:
        require_accept(actor, case)
    before = case.status
    case.status = t.next_status(t.RETURN, facts(case))
    previous = {"user": case.handler_user_id, "node": case.handler_node_id, "department": case.handler_department_id}
    case.handler_user = case.handler_node = case.handler_department = None
    case.pooled = False
    case.level = case.owner_node.level
    notify.dispatchers(case, "case.returned")
    _event(case, EventKind.RETURNED, actor=actor, at=now, from_status=before, note=reason, data=previous, public=False)
    _save(case, "status", "handler_user", "handler_node", "handler_department", "pooled", "level")
    return case


@optimistic
def escalate(*, case: Case | int, actor: Any, reason: str, at: datetime | None = None) -> Case:
    """上报/升级 one rung up the ladder; the dispatchers there take it (a reason is required)."""
    now = _now(at)
    case = _locked(case)
    reason = _require_text(reason, field="reason", maximum=1000)
    if case.status == t.ACCEPTED:
        require_handler(actor, case, what="escalate")
    elif case.status == t.DISPATCHED:
        require_accept(actor, case)
    else:
        require_over_node(actor, roles.CASE_TRIAGE, case.owner_node, what="escalate")
    before = case.status
    case.status = t.next_status(t.ESCALATE, facts(case))
    _climb(case)
    notify.dispatchers(case, "case.escalated")
    _event(
        case,
        EventKind.ESCALATED,
        actor=actor,
        at=now,
        from_status=before,
        note=reason,
        data={"level": case.level, "owner": case.owner_node_id},
    )
    _save(
        case,
        "status",
        "level",
        "owner_node",
        "handler_user",
        "handler_node",
        "handler_department",
        "pooled",
        "escalation_count",
    )
    return case


def _climb(case: Case) -> None:
    """Move the case one level up and hand it to the owner there (no handler until it is dispatched again)."""
    new_level = t.escalated_level(case.level)
    base = case.grid_node or case.owner_node
    if roles.level_index(new_level) >= roles.level_index(base.level):
        new_level = roles.parent_level(base.level) or roles.DISTRICT
    case.level = new_level
    case.owner_node = _owner_for(base, new_level)
    case.handler_user = case.handler_node = case.handler_department = None
    case.pooled = False
    case.escalation_count += 1


# ----------------------------------------------------------------------------------------------------- co-handling


@optimistic
def whistle(
    *,
    case: Case | int,
    actor: Any,
    departments: Iterable[Department],
    task: str,
    due: datetime | None = None,
    at: datetime | None = None,
) -> Case:
    """吹哨: summon departments to co-handle; the case resolves only when each has reported in (报到)."""
    now = _now(at)
    case = _locked(case)
    require_over_node(actor, roles.CASE_WHISTLE, case.owner_node, what="summon departments for")
    task = _require_text(task, field="task", maximum=300)
    departments = list(dict.fromkeys(departments))
    if not departments:
        raise DomainError(gettext_noop("name at least one department to summon"))
    for department in departments:
        if department.jurisdiction_id != case.jurisdiction_id or not department.active:
            raise DomainError(
                gettext_noop("%(department)s is not an active department of this jurisdiction"),
                params={"department": str(department)},
            )
    t.next_status(t.WHISTLE, facts(case))
    already = set(case.co_tasks.filter(status=CoTaskStatus.SUMMONED).values_list("department_id", flat=True))
    fresh = [d for d in departments if d.pk not in already]
    if not fresh:
        raise DomainError(gettext_noop("these departments are already summoned and have not reported in yet"))
    if due is not None and due <= now:
        raise DomainError(gettext_noop("the report-in deadline must be in the future"))
    due = due or case.resolve_due or now + timedelta(days=1)
    notify.departments(case, [d.pk for d in fresh], "case.whistled")
    CoHandlingTask.objects.bulk_create(
        [CoHandlingTask(case=case, department=d, task=task, due=due, created_at=now) for d in fresh]
    )
    for department in fresh:
        _involve(case, department.pk, DepartmentCase.Via.SUMMONED, now)
    case.open_co_tasks += len(fresh)
    _event(
        case,
        EventKind.WHISTLED,
        actor=actor,
        at=now,
        note=task,
        data={"departments": [d.pk for d in fresh], "due": due.isoformat()},
    )
    _save(case, "open_co_tasks")
    return case


@transaction.atomic  # not @optimistic: it locks the co-handling task through the ORM as well as the case
def report_in(*, task: CoHandlingTask | int, actor: Any, report: str, at: datetime | None = None) -> CoHandlingTask:
    """报到: a summoned department reports what it did."""
    now = _now(at)
    task_id = task.pk if isinstance(task, CoHandlingTask) else task
    row = CoHandlingTask.objects.select_related("department").filter(pk=task_id).first()
    if row is None:
        raise NotFound(gettext_noop("co-handling task not found"))
    case = _locked(row.case_id)
    row = CoHandlingTask.objects.select_for_update().get(pk=task_id)
    require_report_in(actor, row.department_id)
    report = _require_text(report, field="report", maximum=2000)
    if row.status != CoTaskStatus.SUMMONED:
        raise Conflict(gettext_noop("this department has already reported in"))
    t.next_status(t.REPORT_IN, facts(case))
    row.status, row.report, row.reported_at, row.reported_by = CoTaskStatus.REPORTED, report, now, actor
    row.save(update_fields=["status", "report", "reported_at", "reported_by"])
    case.open_co_tasks = max(case.open_co_tasks - 1, 0)
    _event(case, EventKind.REPORTED_IN, actor=actor, at=now, note=report, data={"department": row.department_id})
    _save(case, "open_co_tasks")
    notify.dispatchers(case, "case.reported_in")
    return row


# ------------------------------------------------------------------------------------------------------- handling


@optimistic
def hold(*, case: Case | int, actor: Any, reason: str, at: datetime | None = None) -> Case:
    """Pause the clock (waiting for parts, for the resident, for the weather); a reason is required."""
    now = _now(at)
    case = _locked(case)
    require_handler(actor, case, what="put on hold")
    reason = _require_text(reason, field="reason", maximum=1000)
    before = case.status
    case.status = t.next_status(t.HOLD, facts(case))
    case.paused_at = now
    case.sla_state = SlaState.PAUSED
    _event(case, EventKind.HELD, actor=actor, at=now, from_status=before, note=reason)
    _save(case, "status", "paused_at", "sla_state")
    return case


@optimistic
def resume(*, case: Case | int, actor: Any, at: datetime | None = None) -> Case:
    now = _now(at)
    case = _locked(case)
    require_handler(actor, case, what="resume")
    before = case.status
    case.status = t.next_status(t.RESUME, facts(case))
    paused_from = min(case.paused_at or now, now)
    tz = timezone.get_current_timezone()
    calendar = current_calendar()
    old_due = case.resolve_due
    if case.resolve_due is not None:
        case.resolve_due = sla.extend_for_pause(
            case.resolve_due, paused_from, now, working=case.sla_working_time, calendar=calendar, tz=tz
        )
    case.paused_at = None
    _set_sweep_times(case, _clock_start(case))
    case.sla_state = _sla_state_now(case, now)
    _event(
        case,
        EventKind.RESUMED,
        actor=actor,
        at=now,
        from_status=before,
        data={
            "resolve_due": case.resolve_due.isoformat() if case.resolve_due else None,
            "was_due": old_due.isoformat() if old_due else None,
        },
    )
    _save(case, "status", "paused_at", "resolve_due", "sla_state", "sla_warn_at", "sla_escalate_at")
    return case


@optimistic
def resolve(
    *,
    case: Case | int,
    actor: Any,
    result: str,
    photos: Iterable[str] = (),
    on_the_spot: bool = False,
    at: datetime | None = None,
) -> Case:
    """办结: the handler reports the result. 即时办结 (on the spot) resolves a case at intake by its recorder."""
    now = _now(at)
    case = _locked(case)
    result = _require_text(result, field="result", maximum=5000)
    if on_the_spot:
        require_recorder(actor, case)
        if case.accepted_at is not None:
            raise DomainError(gettext_noop("a case someone already accepted is not solved on the spot"))
    else:
        require_handler(actor, case, what="resolve")
    before = case.status
    case.status = t.next_status(t.RESOLVE, facts(case, on_the_spot=on_the_spot))
    if on_the_spot:
        case.on_the_spot = True
        case.handler_user = actor
        case.accepted_at = case.accepted_at or now
        case.responded_on_time = True
        post_node = _recorder_node(actor, case)
        case.level = post_node.level if post_node is not None else case.level
    case.result = result
    case.photos = [*case.photos, *photos]
    case.resolved_at = now
    case.resolved_level = case.level
    case.resolved_on_time = case.resolve_due is None or now <= case.resolve_due
    case.sla_state = SlaState.DONE
    notify.resolved(case)
    _event(
        case,
        EventKind.RESOLVED,
        actor=actor,
        at=now,
        from_status=before,
        note=result,
        data={"level": case.level, "on_the_spot": on_the_spot, "on_time": case.resolved_on_time},
    )
    _save(
        case,
        "status",
        "on_the_spot",
        "handler_user",
        "accepted_at",
        "responded_on_time",
        "level",
        "result",
        "photos",
        "resolved_at",
        "resolved_level",
        "resolved_on_time",
        "sla_state",
    )
    return case


def _recorder_node(actor: Any, case: Case) -> GridNode | None:
    base = case.grid_node or case.owner_node
    posts = [p for p in grid_selectors.active_posts(actor) if p.node is not None and p.node.is_ancestor_of(base)]
    return max(posts, key=lambda p: p.node.level_index).node if posts else None


_CATEGORY_PRIVATE = prepared.Query(lambda pk: CaseCategory.objects.filter(pk=pk).values_list("private"))


@optimistic
def publish(*, case: Case | int, actor: Any, summary: str | None = None, at: datetime | None = None) -> Case:
    """公示: put the case on the public board with ``summary`` — the public text staff wrote or confirmed (the
    console starts them from ``public.prefilled_summary`` and flags personal data in it). Without a summary (the
    simulator, a script) the prefilled one is published with everything it flags masked, since nobody reviewed it.
    A resolved or a closed case (rated, or closed after the rating period) can be published; never one in a private
    category (``CaseCategory.private``: disputes, assistance, care …), a rejected or merged one, or one without a
    result. The summary is kept on the case and in the event."""
    now = _now(at)
    case = _locked(case)
    require_over_node(actor, roles.CASE_PUBLISH, case.owner_node, what="publish")
    private = case.category_id is not None and _CATEGORY_PRIVATE(case.category_id) == [(True,)]
    t.next_status(t.PUBLISH, facts(case, private=private))
    if summary is None:
        text, source = mask_text(prefilled_summary(case)), "prefilled"
    else:
        text, source = _require_text(summary, field="summary", maximum=MAX_SUMMARY), "staff"
    case.public = True
    case.published_at = now
    case.public_summary = text
    _event(case, EventKind.PUBLISHED, actor=actor, at=now, note=text, data={"summary": source})
    _save(case, "public", "published_at", "public_summary")
    return case


# -------------------------------------------------------------------------------------------------------- rating


@optimistic
def rate(
    *,
    case: Case | int,
    actor: Any,
    score: str,
    solved: bool,
    comment: str = "",
    verified_reporter: bool = False,
    at: datetime | None = None,
) -> Case:
    """评价. 满意/基本满意 closes; 不满意 (or "not solved") reopens it for rework, and repeated rework goes up a level.

    The reporter of a merged duplicate rates the parent: the rating is kept with the duplicate's reference and counts
    like any other, and an unhappy one reopens the parent while it is still resolved.
    """
    now = _now(at)
    if score not in Score.values:
        raise DomainError(gettext_noop("unknown score %(score)r"), params={"score": score})
    if len(comment) > 2000:
        raise DomainError(gettext_noop("the comment is too long (at most 2000 characters)"))
    target = _locked(case)
    via: Case | None = None
    if target.status == t.MERGED:
        via, target = target, _locked(target.merged_into_id)
    require_reporter(actor, via or target, verified_reporter=verified_reporter)
    if target.status != t.RESOLVED and not (via is not None and target.status == t.CLOSED):
        raise DomainError(gettext_noop("only a resolved case can be rated"))
    _store_rating(target, via, actor=actor, score=score, solved=solved, comment=comment, at=now)
    if target.status == t.CLOSED:
        return target  # a duplicate's reporter rating after the parent closed: counted; the parent stays closed
    satisfied = score != Score.UNSATISFIED and solved
    before = target.status
    outcome = t.rating_outcome(satisfied=satisfied, rework_count=target.rework_count, level=target.level)
    data = {"score": score, "solved": solved, "via": via.tracking_code if via else None}
    if outcome == t.CLOSED:
        target.status = t.next_status(t.RATE, facts(target))
        target.closed_at = now
        _event(target, EventKind.RATED, actor=actor, at=now, from_status=before, note=comment, data=data)
        _save(target, "status", "closed_at")
    else:
        _reopen(
            target, actor=actor, now=now, escalate_up=outcome == t.TRIAGED, note=comment, data={**data, "rated": True}
        )
    return target


def _store_rating(
    target: Case, via: Case | None, *, actor: Any, score: str, solved: bool, comment: str, at: datetime
) -> Rating:
    """One rating per reporter per result (rework round); a second one is a Conflict.

    The reporter's own rating needs no lookup: it is taken only while the locked case is resolved, and rating moves
    it on (closed, or reopened with the next round). A duplicate's reporter rates the parent, which stays resolved.
    """
    if via is not None:
        # Whether this reporter rated already is in another table, and a rating after the parent closed writes no
        # case row: this answer is read inside the transaction (core.transactions).
        begin_now()
    if via is not None and Rating.objects.filter(case=target, via_case=via, round=target.rework_count).exists():
        raise Conflict(gettext_noop("this result has already been rated"))
    return prepared.insert(
        Rating(
            case_id=target.pk,
            via_case_id=via.pk if via is not None else None,
            rater_id=actor.pk if getattr(actor, "pk", None) else None,
            score=score,
            solved=solved,
            comment=comment.strip(),
            round=target.rework_count,
            created_at=at,
        )
    )


# ------------------------------------------------------------------------------------------ the reporter's own actions

MAX_INFO_TEXT = 2000
MAX_INFO_PHOTOS = 4  # per addition
MAX_CASE_PHOTOS = 20  # all a case may carry (reports, additions, results)


@optimistic
def add_information(
    *,
    case: Case | int,
    actor: Any = None,
    text: str = "",
    photos: Iterable[str] = (),
    verified_reporter: bool = False,
    at: datetime | None = None,
) -> Case:
    """The reporter adds information to their open case: text, photos (stored names of report photos, already cleaned
    by the interface), or both. An event for staff and the reporter (not on the public timeline); the handler, else
    the dispatchers, hear of it. Only the reporter (``policies.require_reporter``)."""
    now = _now(at)
    case = _locked(case)
    require_reporter(actor, case, verified_reporter=verified_reporter, what="add information to")
    text = (text or "").strip()
    added = [name for name in photos if isinstance(name, str) and name]
    if not text and not added:
        raise DomainError(gettext_noop("write something or add a photo"))
    if len(text) > MAX_INFO_TEXT:
        raise DomainError(
            gettext_noop("%(field)s is too long (%(n)d characters; at most %(max)d)"),
            params={"field": Term(FIELD_TERMS["description"]), "n": len(text), "max": MAX_INFO_TEXT},
        )
    if len(added) > MAX_INFO_PHOTOS or len(case.photos) + len(added) > MAX_CASE_PHOTOS:
        raise DomainError(
            gettext_noop("too many photos (at most %(n)d at a time and %(total)d in all)"),
            params={"n": MAX_INFO_PHOTOS, "total": MAX_CASE_PHOTOS},
        )
    t.next_status(t.ADD_INFO, facts(case))
    first = len(case.photos)
    case.photos = [*case.photos, *added]
    notify.reporter_added(case)
    _event(
        case,
        EventKind.INFO_ADDED,
        actor=actor,
        at=now,
        note=text,
        data={"photos": list(range(first, first + len(added)))},
        public=False,
    )
    _save(case, "photos")
    return case


@optimistic
def withdraw(
    *, case: Case | int, actor: Any = None, reason: str, verified_reporter: bool = False, at: datetime | None = None
) -> Case:
    """The reporter withdraws their case before it is resolved (solved by themselves, no longer needed, sent by
    mistake): final, with their reason; the handler and dispatchers hear of it. Not when other residents' reports
    were merged into it (it stays open for them). A withdrawn case counts as received but not as handled, so it is
    never an unresolved case in the figures (docs/metrics.md). Only the reporter (``policies.require_reporter``)."""
    now = _now(at)
    case = _locked(case)
    require_reporter(actor, case, verified_reporter=verified_reporter, what="withdraw")
    reason = _require_text(reason, field="reason", maximum=1000)
    before = case.status
    case.status = t.next_status(t.WITHDRAW, facts(case))
    handlers = notify.handler_ids(case)
    case.closed_at = now
    case.sla_state = SlaState.DONE
    notify.withdrawn(case, handlers)
    _event(case, EventKind.WITHDRAWN, actor=actor, at=now, from_status=before, note=reason)
    _save(case, "status", "closed_at", "sla_state")
    return case


# 代办 (errands run by volunteers): the volunteers domain keeps the errand itself; the case keeps who runs it (by the
# interface's reference and a masked label) and what they reported.
MAX_ERRAND_LABEL = 32
MAX_ERRAND_NOTE = 500
MAX_ERRAND_RESULT = 1000
_CATEGORY_ERRAND = prepared.Query(lambda pk: CaseCategory.objects.filter(pk=pk).values_list("errand"))


def errand_allowed(case: Case) -> bool:
    """The case's category lets a volunteer run it (``CaseCategory.errand``)."""
    return case.category_id is not None and _CATEGORY_ERRAND(case.category_id) == [(True,)]


def may_give_errand(user: Any, case: Case) -> bool:
    """Who hands a case's errand to a volunteer: the person handling it, or a dispatcher over its owning desk."""
    if user is None or not getattr(user, "pk", None):
        return False
    return case.handler_user_id == user.pk or grid_selectors.user_can(user, roles.CASE_DISPATCH, case.owner_node)


@optimistic
def give_errand(
    *,
    case: Case | int,
    actor: Any,
    volunteer_ref: int,
    volunteer_label: str,
    note: str = "",
    at: datetime | None = None,
) -> Case:
    """代办: the handler (or a dispatcher over the owning desk) hands a light errand of an accepted case to a volunteer
    (``volunteer_ref``: the volunteers domain's id; ``volunteer_label``: the volunteer's masked name). Only where the
    category allows it (``CaseCategory.errand``). The status does not change: the handler stays accountable and
    resolves the case. One event (on the resident's timeline with the masked label only; the note is for staff)."""
    now = _now(at)
    case = _locked(case)
    if not errand_allowed(case):
        raise DomainError(
            gettext_noop("this case's category is not a light one a volunteer may run (代办): handle it yourself"),
            code="not_an_errand",
        )
    if not may_give_errand(actor, case):
        raise PermissionDenied(
            gettext_noop("only the person handling this case may %(what)s it"),
            params={"what": Term(t.ACTION_TERMS[t.GIVE_ERRAND])},
        )
    t.next_status(t.GIVE_ERRAND, facts(case))
    label = (volunteer_label or "").strip()
    if not label or len(label) > MAX_ERRAND_LABEL or not isinstance(volunteer_ref, int) or volunteer_ref <= 0:
        raise DomainError(gettext_noop("choose a volunteer"), code="volunteer")
    note = (note or "").strip()
    if len(note) > MAX_ERRAND_NOTE:
        raise DomainError(
            gettext_noop("%(field)s is too long (%(n)d characters; at most %(max)d)"),
            params={"field": Term(FIELD_TERMS["description"]), "n": len(note), "max": MAX_ERRAND_NOTE},
        )
    _event(
        case,
        EventKind.ERRAND_GIVEN,
        actor=actor,
        at=now,
        note=note,
        data={"volunteer": volunteer_ref, "label": label},
    )
    _save(case)
    return case


@optimistic
def errand_reported(*, case: Case | int, volunteer_ref: int, result: str, at: datetime | None = None) -> Case:
    """The volunteer running the case's errand reports it done (the interface checked who they are and that the
    errand was theirs): one event by nobody on the staff side (``data.volunteer``), the result as its note (staff
    read it; the resident's timeline shows the label only), and the handler hears — else the dispatchers."""
    now = _now(at)
    case = _locked(case)
    result = _require_text(result, field="result", maximum=MAX_ERRAND_RESULT)
    t.next_status(t.ERRAND_DONE, facts(case))
    given = (
        CaseEvent.objects.filter(case_id=case.pk, kind=EventKind.ERRAND_GIVEN, data__volunteer=volunteer_ref)
        .order_by("-seq")
        .values_list("data", flat=True)
        .first()
    )
    if given is None:
        raise NotFound(gettext_noop("no errand of this case was given to this volunteer"))
    notify.errand_done(case)
    _event(
        case,
        EventKind.ERRAND_DONE,
        actor=None,
        at=now,
        note=result,
        data={"volunteer": volunteer_ref, "label": given.get("label", "")},
    )
    _save(case)
    return case


@optimistic
def rework(*, case: Case | int, actor: Any, reason: str, at: datetime | None = None) -> Case:
    """返工 ordered by a dispatcher (e.g. after a check found the result wanting)."""
    now = _now(at)
    case = _locked(case)
    require_over_node(actor, roles.CASE_SUPERVISE, case.owner_node, what="reopen")
    reason = _require_text(reason, field="reason", maximum=1000)
    t.next_status(t.REWORK, facts(case))
    escalate_up = t.rating_outcome(satisfied=False, rework_count=case.rework_count, level=case.level) == t.TRIAGED
    _reopen(case, actor=actor, now=now, escalate_up=escalate_up, note=reason, data={"rated": False})
    return case


def _reopen(case: Case, *, actor: Any, now: datetime, escalate_up: bool, note: str, data: dict[str, Any]) -> None:
    before = case.status
    case.rework_count += 1
    case.resolved_at = None
    case.resolved_level = ""
    case.resolved_on_time = None
    case.public = False
    if escalate_up:
        case.status = t.TRIAGED
        _climb(case)
    else:
        # Back to the person who did it; they accept the rework like a new task.
        case.status = t.next_status(t.REWORK, facts(case))
        case.pooled = False
        case.dispatched_at = now
    # A fresh resolution clock for the rework, from now, on the same policy.
    _set_deadlines(case, now)
    notify.rework(case, escalated=escalate_up)
    _event(
        case,
        EventKind.REWORK,
        actor=actor,
        at=now,
        from_status=before,
        note=note,
        data={**data, "round": case.rework_count, "escalated": escalate_up, "level": case.level},
    )
    _save(
        case,
        "status",
        "rework_count",
        "resolved_at",
        "resolved_level",
        "resolved_on_time",
        "public",
        "level",
        "owner_node",
        "handler_user",
        "handler_node",
        "handler_department",
        "pooled",
        "escalation_count",
        "dispatched_at",
        *SLA_FIELDS,
    )


@optimistic
def close(*, case: Case | int, actor: Any = None, reason: str = "", at: datetime | None = None) -> Case:
    """Close a resolved case nobody rated in time (the sweep), or by a dispatcher."""
    now = _now(at)
    case = _locked(case)
    if actor is not None:
        require_over_node(actor, roles.CASE_SUPERVISE, case.owner_node, what="close")
    before = case.status
    case.status = t.next_status(t.CLOSE, facts(case))
    case.closed_at = now
    _event(
        case,
        EventKind.CLOSED,
        actor=actor,
        at=now,
        from_status=before,
        note=reason or "no rating within the rating period",
    )
    _save(case, "status", "closed_at")
    return case


# ---------------------------------------------------------------------------------------------------- supervision


@optimistic
def supervise(
    *, case: Case | int, actor: Any, reason: str, due: datetime | None = None, at: datetime | None = None
) -> SupervisionNotice:
    """督办: a notice to the handler and the owning dispatchers."""
    now = _now(at)
    case = _locked(case)
    require_over_node(actor, roles.CASE_SUPERVISE, case.owner_node, what="supervise")
    reason = _require_text(reason, field="reason", maximum=1000)
    t.next_status(t.SUPERVISE, facts(case))
    notify.supervised(case)
    notice = SupervisionNotice.objects.create(
        case=case, kind=NoticeKind.MANUAL, issued_by=actor, reason=reason, due=due, created_at=now
    )
    _event(case, EventKind.SUPERVISED, actor=actor, at=now, note=reason, data={"notice": notice.pk}, public=False)
    _save(case)
    return notice


def _clock_start(case: Case) -> datetime:
    """Where the resolution clock started: submission, or the rework dispatch that restarted it."""
    return case.dispatched_at if case.rework_count and case.dispatched_at else case.submitted_at


def _sla_state_now(case: Case, now: datetime) -> str:
    if case.status not in t.RUNNING and case.status != t.ON_HOLD:
        return SlaState.DONE
    if case.status == t.ON_HOLD:
        return SlaState.PAUSED
    due = case.resolve_due
    if due is None:
        return SlaState.ON_TRACK
    return sla.state(
        now,
        _clock_start(case),
        due,
        warn_ratio=case.sla_warn_ratio,
        working=case.sla_working_time,
        calendar=current_calendar(),
        tz=timezone.get_current_timezone(),
    )


@optimistic
def refresh_sla(*, case: Case | int, at: datetime | None = None) -> Case:
    """The sweep's step for one case: warn, then 督办 on breach, then escalate after the grace period."""
    now = _now(at)
    case = _locked(case)
    if case.status not in t.RUNNING:
        return case
    state = _sla_state_now(case, now)
    if state != case.sla_state and state in (SlaState.WARNING, SlaState.BREACHED):
        previous = case.sla_state
        case.sla_state = state
        kind = EventKind.SLA_WARNING if state == SlaState.WARNING else EventKind.SLA_BREACHED
        if state == SlaState.BREACHED:
            notify.breached(case)
        else:
            notify.warning(case)
        _event(
            case,
            kind,
            actor=None,
            at=now,
            public=False,
            data={"from": previous, "resolve_due": case.resolve_due.isoformat() if case.resolve_due else None},
        )
        _save(case, "sla_state")
        if state == SlaState.BREACHED:
            notice = SupervisionNotice.objects.create(
                case=case,
                kind=NoticeKind.BREACH,
                reason="deadline passed without a result",
                created_at=now,
                due=now + timedelta(minutes=case.sla_grace_minutes),
            )
            _event(
                case,
                EventKind.SUPERVISED,
                actor=None,
                at=now,
                public=False,
                data={"notice": notice.pk},
                note="automatic supervision: deadline passed",
            )
            _save(case)
        return case
    if (
        case.sla_state == SlaState.BREACHED
        and case.resolve_due is not None
        and now >= case.resolve_due + timedelta(minutes=case.sla_grace_minutes)
        and case.level != roles.DISTRICT
        and t.allowed(t.ESCALATE, case.status)  # an untriaged case gets 督办, not a move up the ladder
        and (case.breach_escalated_at is None or case.breach_escalated_at < case.resolve_due)
    ):
        before = case.status
        case.status = t.next_status(t.ESCALATE, facts(case))
        _climb(case)
        case.breach_escalated_at = now
        case.sla_state = SlaState.BREACHED
        notify.dispatchers(case, "case.escalated")
        _event(
            case,
            EventKind.ESCALATED,
            actor=None,
            at=now,
            from_status=before,
            public=False,
            note="automatic escalation: overdue past the grace period",
            data={"level": case.level, "owner": case.owner_node_id, "automatic": True},
        )
        _save(
            case,
            "status",
            "level",
            "owner_node",
            "handler_user",
            "handler_node",
            "handler_department",
            "pooled",
            "escalation_count",
            "breach_escalated_at",
            "sla_state",
        )
    return case


def sweep(
    *, jurisdiction: Jurisdiction | None = None, at: datetime | None = None, rating_days: int = 7
) -> dict[str, int]:
    """Periodic: refresh deadline states of running cases and close resolved cases left unrated for ``rating_days``."""
    now = _now(at)
    running = Case.objects.filter(status__in=t.RUNNING).exclude(sla_state=SlaState.PAUSED)
    if jurisdiction is not None:
        running = running.filter(jurisdiction=jurisdiction)
    # Only cases that can change now: past their warning moment, past their deadline, or breached past the grace
    # period and not yet escalated for this deadline. Everything else is left alone (indexes on status + times).
    candidates = running.filter(
        Q(sla_state=SlaState.ON_TRACK, sla_warn_at__lte=now)
        | Q(sla_state__in=(SlaState.ON_TRACK, SlaState.WARNING), resolve_due__lt=now)
        | (
            Q(sla_state=SlaState.BREACHED, sla_escalate_at__lte=now)
            & (Q(breach_escalated_at__isnull=True) | Q(breach_escalated_at__lt=F("resolve_due")))
        )
    )
    counts = {"checked": 0, "warned": 0, "breached": 0, "escalated": 0, "closed": 0}
    for pk, state, level in candidates.values_list("pk", "sla_state", "level"):
        counts["checked"] += 1
        case = refresh_sla(case=pk, at=now)
        if case.sla_state != state:
            counts["warned" if case.sla_state == SlaState.WARNING else "breached"] += 1
        elif case.level != level:
            counts["escalated"] += 1
    stale = Case.objects.filter(status=t.RESOLVED, resolved_at__lte=now - timedelta(days=rating_days))
    if jurisdiction is not None:
        stale = stale.filter(jurisdiction=jurisdiction)
    for pk in stale.values_list("pk", flat=True):
        try:
            close(case=pk, at=now)
        except t.TransitionError:
            # No longer resolved: another worker's sweep closed it, or the resident rated it, since the list was read
            # (close re-reads it under its lock). Not an error, and the rest of the list still has to be closed.
            continue
        counts["closed"] += 1
    return counts


# ---------------------------------------------------------------------------------------------- personal data


@transaction.atomic
def reveal_reporter_phone(*, case: Case | int, actor: Any, purpose: str = "", at: datetime | None = None) -> str:
    """The reporter's phone number in full, for a staff member the policy lets call them (``policies
    .phone_reveal_basis``), with one row in the access log (``PhoneReveal``) written in the same transaction.

    A refusal (anonymous report, no number, not the handler or above them) raises and writes nothing. The case does
    not change and no timeline event is written: a read is not a change of the case, and the timeline is shown to
    the resident; the access log is the record.
    """
    now = _now(at)
    pk = case.pk if isinstance(case, Case) else case
    row = Case.objects.select_related("owner_node", "handler_node").filter(pk=pk).first()
    if row is None:
        raise NotFound(gettext_noop("case not found"))
    basis = phone_reveal_basis(actor, row)
    purpose = (purpose or "").strip()
    if len(purpose) > MAX_PURPOSE:
        raise DomainError(
            gettext_noop("%(field)s is too long (%(n)d characters; at most %(max)d)"),
            params={"field": Term(FIELD_TERMS["purpose"]), "n": len(purpose), "max": MAX_PURPOSE},
        )
    PhoneReveal.objects.create(case=row, actor=actor, basis=basis, purpose=purpose, at=now)
    return row.reporter_phone


def _scrub_value(value: Any, scrub: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_value(item, scrub) for item in value]
    if isinstance(value, dict):
        return {key: _scrub_value(item, scrub) for key, item in value.items()}
    return value


@transaction.atomic
def anonymise_people(
    *,
    case_ids: Iterable[int],
    actor: Any,
    reason: str,
    names: Iterable[str] = (),
    at: datetime | None = None,
) -> int:
    """Take a person out of the cases filed for them, on their request (PIPL erasure; the care registry's ``erase``
    names the cases): the reporter's name, phone and login phone with their blind indexes are blanked, and the
    personal data ``core.privacy.mask_text`` finds in the title, description, address, result, public summary,
    answers, timeline notes, departments' tasks and reports, supervision notices, ratings' comments and the triage
    record's text is masked — as are ``names`` (the person's name as the caller knew it: a name written without a
    label is not found otherwise). Each case gets one internal timeline event saying so. The case itself stays (its
    figures add up). ``actor`` is the system (None: the retention rule) or someone who keeps the registry over the
    case's place (``care.manage``); otherwise PermissionDenied and nothing changes. Returns how many cases changed."""
    now = _now(at)
    reason = _require_text(reason, field="reason", maximum=MAX_PURPOSE)
    known = sorted({name.strip() for name in names if name and len(name.strip()) >= 2}, key=len, reverse=True)

    def scrub(text: str) -> str:
        if not text:
            return text
        for name in known:
            text = text.replace(name, mask_name(name))
        return mask_text(text)

    ids = sorted({int(pk) for pk in case_ids})
    cases = list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if actor is not None:
        for case in cases:
            _attach_nodes(case)
            place = case.grid_node or case.owner_node
            if not grid_selectors.user_can(actor, roles.CARE_MANAGE, place):
                raise PermissionDenied(gettext_noop("You may not anonymise the cases of this place."))
    for case in cases:
        case.reporter = None
        case.reporter_name = ""
        case.reporter_phone = ""
        case.reporter_phone_index = ""
        case.reporter_login_phone = ""
        case.reporter_login_index = None
        case.title = scrub(case.title)[:MAX_TITLE]
        case.description = scrub(case.description)
        case.address = scrub(case.address)[:200]
        case.result = scrub(case.result)
        case.public_summary = scrub(case.public_summary)
        case.attributes = _scrub_value(case.attributes, scrub)
        for event in CaseEvent.objects.filter(case_id=case.pk).only("pk", "note", "data"):
            note, data = scrub(event.note), _scrub_value(event.data, scrub)
            if note != event.note or data != event.data:
                CaseEvent.objects.filter(pk=event.pk).update(note=note, data=data)
        for task in CoHandlingTask.objects.filter(case_id=case.pk).only("pk", "task", "report"):
            CoHandlingTask.objects.filter(pk=task.pk).update(task=scrub(task.task), report=scrub(task.report))
        for notice in SupervisionNotice.objects.filter(case_id=case.pk).only("pk", "reason"):
            SupervisionNotice.objects.filter(pk=notice.pk).update(reason=scrub(notice.reason))
        for rating in Rating.objects.filter(case_id=case.pk).only("pk", "comment"):
            Rating.objects.filter(pk=rating.pk).update(comment=scrub(rating.comment))
        _event(
            case,
            EventKind.ANONYMISED,
            actor=actor,
            at=now,
            note=mask_text(reason),
            data={"request": "erasure"},
            public=False,
        )
        case.save(
            update_fields=[
                "reporter",
                "reporter_name",
                "reporter_phone",
                "reporter_phone_index",
                "reporter_login_phone",
                "reporter_login_index",
                "title",
                "description",
                "address",
                "result",
                "public_summary",
                "attributes",
                "event_count",
                "updated_at",
            ]
        )
    for row in routing.triage_for([case.pk for case in cases]).values():
        text = scrub(row.text)
        if text != row.text:
            row.text = text[:300]
            row.save(update_fields=["text"])
    return len(cases)
