"""Reads of the care registry. Always take the viewer; out of scope is NotFound (as if the record did not exist).

Search first, never browse: the registry is found by an exact name, ID number or phone (through their blind
indexes), or by a household's ledger number; there is no page listing every resident. Lists show masked data
(``masked``); a full record is opened through ``services.read_full``, which logs the read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from gongzhi.care import idcard, policies
from gongzhi.care.choices import ResidentStatus
from gongzhi.care.models import AccessEntry, Household, Resident, Visit
from gongzhi.care.services import checked_phone, name_key
from gongzhi.core import crypto
from gongzhi.core.errors import DomainError, NotFound, gettext_noop
from gongzhi.core.http import known_id
from gongzhi.core.privacy import mask_name, mask_phone
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode

SEARCH_LIMIT = 20
# A query shorter than this is refused: no browsing by one character.
MIN_QUERY = 2


def _scope(user: Any, capability: str = roles.CARE_VIEW, field: str = "node__") -> Q | None:
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return None
    return grid_selectors.capability_condition(user, capability, field)


def residents_visible_to(user: Any, capability: str = roles.CARE_VIEW) -> QuerySet[Resident]:
    """The residents in the user's care scope (never listed whole: callers filter by a search or a due date)."""
    condition = _scope(user, capability)
    if condition is None:
        return Resident.objects.none()
    return Resident.objects.filter(condition).exclude(status=ResidentStatus.ERASED)


def households_visible_to(user: Any, capability: str = roles.CARE_VIEW) -> QuerySet[Household]:
    condition = _scope(user, capability)
    if condition is None:
        return Household.objects.none()
    return Household.objects.filter(condition)


@dataclass(frozen=True)
class Query:
    kind: str  # "id_number", "phone", "name", "household"
    index: str  # the blind index searched (or the ledger number)


def classify(text: str) -> Query:
    """What a search text is: an ID number (18 characters, digits and X), a phone (7–12 digits), a household's
    ledger number (``#`` then the number) or a name. DomainError for a text too short to search by."""
    text = (text or "").strip()
    if len(text) < MIN_QUERY:
        raise DomainError(gettext_noop("Type a full name, an ID number or a phone number."), code="query")
    if text.startswith("#"):
        return Query("household", text[1:].strip())
    number = idcard.normalise(text)
    if len(number) == 18 and number[:17].isdigit():
        return Query("id_number", crypto.blind_index(number))
    if any(ch.isdigit() for ch in text) and not any(ch.isalpha() and not ch.isascii() for ch in text):
        return Query("phone", crypto.blind_index(checked_phone(text)))
    return Query("name", crypto.blind_index(name_key(text)))


def search(user: Any, text: str, *, limit: int = SEARCH_LIMIT) -> list[Resident]:
    """Residents in the user's scope matching ``text`` exactly (see ``classify``), at most ``limit``."""
    query = classify(text)
    rows = residents_visible_to(user).select_related("household", "node")
    if query.kind == "id_number":
        rows = rows.filter(id_index=query.index)
    elif query.kind == "phone":
        rows = rows.filter(phone_index=query.index)
    elif query.kind == "name":
        rows = rows.filter(name_index=query.index)
    else:
        rows = rows.filter(household__code=query.index)
    return list(rows.order_by("status", "pk")[:limit])


def resident_for(user: Any, pk: Any, capability: str = roles.CARE_VIEW) -> Resident:
    key = known_id(pk, gettext_noop("No such record in your area."))
    found = (
        residents_visible_to(user, capability).select_related("household", "node", "household__building").filter(pk=key)
    )
    resident = found.first()
    if resident is None:
        raise NotFound(gettext_noop("No such record in your area."))
    return resident


def household_by_code(user: Any, code: str, capability: str = roles.CARE_MANAGE) -> Household:
    """The household with this ledger number in the user's scope (``#`` before it is allowed); NotFound otherwise."""
    code = (code or "").strip().removeprefix("#").strip()
    found = households_visible_to(user, capability).filter(code=code).select_related("node").first() if code else None
    if found is None:
        raise NotFound(gettext_noop("No household with this ledger number in your area."), code="household")
    return found


def household_for(user: Any, pk: Any, capability: str = roles.CARE_VIEW) -> Household:
    key = known_id(pk, gettext_noop("No such record in your area."))
    found = households_visible_to(user, capability).select_related("building", "node", "head").filter(pk=key).first()
    if found is None:
        raise NotFound(gettext_noop("No such record in your area."))
    return found


@dataclass(frozen=True)
class Masked:
    """A resident as a list shows them: never the name, ID number or phone in clear."""

    pk: int
    name: str
    id_number: str
    phone: str
    age: int | None
    sex: str
    level: str
    level_label: str
    status: str
    status_label: str
    household: str
    room: str
    node: str
    next_visit_due: date | None
    last_visit: date | None


def masked(resident: Resident, *, today: date) -> Masked:
    household = resident.household
    return Masked(
        pk=resident.pk,
        name=mask_name(resident.name),
        id_number=resident.id_masked,
        phone=mask_phone(resident.phone) if resident.phone else "",
        age=idcard.age_on(resident.born, today) if resident.born else None,
        sex=resident.get_sex_display() if resident.sex else "",
        level=resident.level,
        level_label=resident.get_level_display() if resident.level else "",
        status=resident.status,
        status_label=resident.get_status_display(),
        household=household.code if household else "",
        room=household.room if household else "",
        node=resident.node.name,
        next_visit_due=resident.next_visit_due,
        last_visit=resident.last_visit,
    )


def due_visits(user: Any, *, today: date, within_days: int = 0) -> QuerySet[Resident]:
    """Residents in care in the user's scope whose next visit is due by ``today`` (+ ``within_days``), most overdue
    first: a steward's or grid worker's visits of the day."""
    until = date.fromordinal(today.toordinal() + max(within_days, 0))
    return (
        residents_visible_to(user)
        .filter(status=ResidentStatus.LIVING, next_visit_due__lte=until)
        .select_related("household", "node", "household__building")
        .order_by("next_visit_due", "pk")
    )


def overdue(user: Any, *, today: date, node: GridNode | None = None) -> QuerySet[Resident]:
    rows = residents_visible_to(user).filter(status=ResidentStatus.LIVING, next_visit_due__lt=today)
    if node is not None:
        rows = rows.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
    return rows.select_related("household", "node").order_by("next_visit_due", "pk")


def overdue_by_node(user: Any, *, today: date) -> list[dict[str, Any]]:
    """Overdue visits counted per grid node (the resident's node) in the user's scope, most first."""
    rows = (
        residents_visible_to(user)
        .filter(status=ResidentStatus.LIVING, next_visit_due__lt=today)
        .values("node_id", "node__name", "node__path", "node__level")
        .annotate(overdue=Count("pk"))
        .order_by("-overdue", "node__path")
    )
    return list(rows)


def visits_of(user: Any, resident: Resident) -> QuerySet[Visit]:
    if not policies.can_view(user, resident.node):
        return Visit.objects.none()
    return resident.visits.select_related("visitor").order_by("-visited_on", "-pk")


def visitors_for(node: GridNode) -> list[Any]:
    """Who visits the residents of ``node``: the stewards and grid workers whose posts sit on it or on the grid
    above it (a micro-grid's steward first)."""
    chain = [node, *grid_selectors.ancestors(node).filter(level__in=[roles.GRID, roles.MICRO_GRID])]
    found: list[Any] = []
    for candidate in chain:
        for post in candidate.posts.filter(active=True, role__in=[roles.STEWARD, roles.GRID_WORKER]).select_related(
            "user"
        ):
            if post.user not in found and post.user.is_active:
                found.append(post.user)
    return found


def access_log(user: Any) -> QuerySet[AccessEntry]:
    """The access log of the jurisdictions the user audits (administrators)."""
    if not policies.can_audit(user):
        return AccessEntry.objects.none()
    rows = AccessEntry.objects.select_related("user").order_by("-at", "-pk")
    if getattr(user, "is_superuser", False):
        return rows
    jurisdictions = {
        post.jurisdiction_id for post in grid_selectors.active_posts(user) if roles.can(post.role, roles.CARE_AUDIT)
    }
    return rows.filter(jurisdiction_id__in=jurisdictions)


@dataclass(frozen=True)
class CareRow:
    """One resident in care as the figures see them: no personal data."""

    node_path: str
    level: str
    groups: tuple[str, ...]
    next_visit_due: date | None


def figure_rows(node: GridNode) -> list[CareRow]:
    """Living residents in care or in a care group under ``node``, for analytics' care figures."""
    rows = (
        Resident.objects.filter(
            node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path, status=ResidentStatus.LIVING
        )
        .filter(Q(level__gt="") | Q(groups__isnull=False))
        .distinct()
        .prefetch_related("groups")
        .select_related("node")
    )
    return [
        CareRow(
            node_path=row.node.path,
            level=row.level,
            groups=tuple(sorted(group.code for group in row.groups.all())),
            next_visit_due=row.next_visit_due,
        )
        for row in rows
    ]


def visit_rows(node: GridNode, *, first: date, last: date) -> QuerySet[Visit]:
    """Visits made under ``node`` between two days (inclusive), for the on-time figure."""
    return Visit.objects.filter(
        node__jurisdiction_id=node.jurisdiction_id,
        node__path__startswith=node.path,
        visited_on__gte=first,
        visited_on__lte=last,
    )


# ------------------------------------------------------------------------------------------------------- voters


@dataclass(frozen=True)
class HouseholdVoters:
    """A household of the registry as a vote's eligibility sees it (deliberation, through the console): its door and
    the phones of its living members (decrypted: the interface hands them to the vote, which keeps only their blind
    indexes) — never a name."""

    household_id: int
    building_name: str
    room: str
    phones: tuple[str, ...]


def household_key(household_id: int) -> str:
    """How other domains name a registry household (a vote's eligible voter, a topic's supporting household): one
    spelling for the console, the resident pages and the demo, so the same household is the same key everywhere."""
    return f"household:{household_id}"


def voters_under(node: GridNode) -> list[HouseholdVoters]:
    """The households under ``node`` with the phones of their living members (each phone once, in member order)."""
    households = (
        Household.objects.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
        .select_related("building")
        .order_by("building__name", "room", "pk")
    )
    phones: dict[int, list[str]] = {}
    members = Resident.objects.filter(
        household__in=households.values("pk"), status=ResidentStatus.LIVING, erased_at__isnull=True
    ).order_by("household_id", "pk")
    for household_id, phone in members.values_list("household_id", "phone"):
        found = phones.setdefault(household_id, [])
        if phone and phone not in found:
            found.append(phone)
    return [
        HouseholdVoters(
            household_id=h.pk,
            building_name=h.building.name if h.building is not None else h.address,
            room=h.room,
            phones=tuple(phones.get(h.pk, ())),
        )
        for h in households
    ]


def household_ids_for_phone(phone: str, *, jurisdiction_id: int | None = None) -> list[int]:
    """The households the registry knows for a mobile number (a blind index lookup, nothing decrypted): those of the
    living residents with that phone, and those whose contact phone it is; lowest id first (the resident pages' key
    for "one household, one support"). Empty when the number is not valid or not known."""
    digits = crypto.normalise_phone(phone or "")
    if len(digits) < 7:
        return []
    index = crypto.blind_index(digits)
    members = Resident.objects.filter(phone_index=index, status=ResidentStatus.LIVING, household__isnull=False)
    contacts = Household.objects.filter(contact_index=index)
    if jurisdiction_id is not None:
        members = members.filter(jurisdiction_id=jurisdiction_id)
        contacts = contacts.filter(jurisdiction_id=jurisdiction_id)
    found = set(members.values_list("household_id", flat=True)) | set(contacts.values_list("pk", flat=True))
    return sorted(pk for pk in found if pk is not None)
