"""Writes to the lists, one keyword-only function per use case, atomic. Each checks ``lists.manage`` over the row's
node; a refused write changes nothing. Every change of a need's status writes one ``NeedEvent`` (who, when, why)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from gongzhi.core import timeutil
from gongzhi.core.errors import Conflict, DomainError, PermissionDenied, Term, checked_text, gettext_noop
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Compound, GridNode
from gongzhi.lists import transitions as t
from gongzhi.lists.choices import Category, Delivery, NeedSource, ProjectStatus, ResourceKind
from gongzhi.lists.models import Need, NeedEvent, Project, Resource
from gongzhi.lists.selectors import COMMUNITY_PATH

# Projects delivering their service: their needs are served.
DELIVERING = frozenset({ProjectStatus.ACTIVE, ProjectStatus.ENDED})


def require_manage(actor: Any, node: GridNode) -> None:
    if not grid_selectors.user_can(actor, roles.LISTS_MANAGE, node):
        raise PermissionDenied(gettext_noop("You may not keep the lists of %(node)s."), params={"node": node.name})


def _check_node(node: GridNode) -> None:
    if node.level not in (roles.COMMUNITY, roles.GRID, roles.MICRO_GRID):
        raise DomainError(gettext_noop("Lists belong to a community or a grid inside one."), code="invalid_node")


def _check_choice(value: str, choices: Any, field: str) -> None:
    if value not in choices.values:
        raise DomainError(gettext_noop("Unknown %(field)s: %(value)s."), params={"field": Term(field), "value": value})


def _event(need: Need, action: str, from_status: str, actor: Any, note: str, at: datetime) -> NeedEvent:
    return NeedEvent.objects.create(
        need=need,
        action=action,
        from_status=from_status,
        to_status=need.status,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note,
        at=at,
    )


# --------------------------------------------------------------------------------------------------------- needs


@transaction.atomic
def create_need(
    *,
    actor: Any,
    node: GridNode,
    title: str,
    category: str,
    source: str,
    households: int = 1,
    description: str = "",
    compound: Compound | None = None,
    case_id: int | None = None,
    case_code: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Need:
    at = at or timeutil.now()
    _check_node(node)
    require_manage(actor, node)
    _check_choice(category, Category, gettext_noop("category"))
    _check_choice(source, NeedSource, gettext_noop("source"))
    if compound is not None and not (
        compound.jurisdiction_id == node.jurisdiction_id and compound.node.path.startswith(node.path[:COMMUNITY_PATH])
    ):
        raise DomainError(gettext_noop("The compound is not in %(node)s."), params={"node": node.name})
    if households < 0 or households > 100_000:
        raise DomainError(gettext_noop("Households affected must be between 0 and 100000."))
    if case_id is not None and Need.objects.filter(case_id=case_id).exists():
        raise Conflict(gettext_noop("This case was already turned into a need."), code="case_has_need")
    need = Need(
        node=node,
        compound=compound,
        title=checked_text(title, gettext_noop("title"), required=True),
        description=checked_text(description, gettext_noop("description"), max_length=4000),
        category=category,
        source=source,
        households=households,
        case_id=case_id,
        case_code=case_code,
        created_at=at,
        updated_at=at,
    )
    try:
        with transaction.atomic():
            need.save()
    except IntegrityError:  # a second request for the same case, at the same moment
        raise Conflict(gettext_noop("This case was already turned into a need."), code="case_has_need") from None
    _event(need, t.CREATE, "", actor, note, at)
    return need


@transaction.atomic
def update_need(
    *,
    actor: Any,
    need: Need,
    title: str,
    category: str,
    households: int,
    description: str = "",
    at: datetime | None = None,
) -> Need:
    """Edit what a need says (not its status, place or source)."""
    need = Need.objects.select_for_update().select_related("node").get(pk=need.pk)
    require_manage(actor, need.node)
    _check_choice(category, Category, gettext_noop("category"))
    if households < 0 or households > 100_000:
        raise DomainError(gettext_noop("Households affected must be between 0 and 100000."))
    need.title = checked_text(title, gettext_noop("title"), required=True)
    need.description = checked_text(description, gettext_noop("description"), max_length=4000)
    need.category = category
    need.households = households
    need.updated_at = at or timeutil.now()
    need.save(update_fields=["title", "description", "category", "households", "updated_at"])
    return need


def _step(need: Need, action: str, actor: Any, note: str, at: datetime) -> None:
    before = need.status
    need.status = t.next_status(before, action, reason=note)
    need.updated_at = at
    need.save(update_fields=["status", "updated_at"])
    _event(need, action, before, actor, note, at)


@transaction.atomic
def change_need(*, actor: Any, need: Need, action: str, note: str = "", at: datetime | None = None) -> Need:
    """Close or reopen a need (matching and serving follow its projects: ``link_needs``, ``set_project_status``)."""
    need = Need.objects.select_for_update().select_related("node").get(pk=need.pk)
    require_manage(actor, need.node)
    if action not in (t.CLOSE, t.REOPEN):
        raise DomainError(gettext_noop("A need is matched and served through its projects."), code="invalid_action")
    _step(need, action, actor, note.strip(), at or timeutil.now())
    return need


def _follow_projects(needs: Iterable[Need], *, delivering: bool, actor: Any, note: str, at: datetime) -> None:
    for need in needs:
        steps = t.steps_to_serve(need.status) if delivering else t.steps_to_match(need.status)
        for action in steps:
            _step(need, action, actor, note, at)


# ----------------------------------------------------------------------------------------------------- resources


def _resource_fields(data: dict[str, Any]) -> dict[str, Any]:
    _check_choice(data["kind"], ResourceKind, gettext_noop("kind"))
    lat, lon = data.get("lat"), data.get("lon")
    if (lat is None) != (lon is None):
        raise DomainError(gettext_noop("Give both latitude and longitude, or neither."))
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DomainError(gettext_noop("The point is not on the map."))
    signed, expires = data.get("agreement_signed"), data.get("agreement_expires")
    if signed and expires and expires < signed:
        raise DomainError(gettext_noop("The agreement cannot expire before it was signed."))
    return {
        "name": checked_text(data["name"], gettext_noop("resource name"), required=True),
        "kind": data["kind"],
        "offer": checked_text(data.get("offer", ""), gettext_noop("offer"), max_length=4000),
        "phone": checked_text(data.get("phone", ""), gettext_noop("phone"), max_length=40),
        "contact_name": checked_text(data.get("contact_name", ""), gettext_noop("contact person"), max_length=60),
        "contact_phone": checked_text(data.get("contact_phone", ""), gettext_noop("contact phone"), max_length=40),
        "lat": lat,
        "lon": lon,
        "address": checked_text(data.get("address", ""), gettext_noop("address")),
        "hours": checked_text(data.get("hours", ""), gettext_noop("opening hours")),
        "agreement_signed": signed,
        "agreement_expires": expires,
        "agreement_text": checked_text(data.get("agreement_text", ""), gettext_noop("agreement"), max_length=20_000),
    }


@transaction.atomic
def save_resource(
    *, actor: Any, node: GridNode, resource: Resource | None = None, at: datetime | None = None, **data: Any
) -> Resource:
    """Create a resource (``resource`` None) or edit one; ``data`` holds the model's fields."""
    _check_node(node)
    require_manage(actor, node)
    fields = _resource_fields(data)
    if resource is None:
        return Resource.objects.create(node=node, created_at=at or timeutil.now(), **fields)
    resource = Resource.objects.select_for_update().select_related("node").get(pk=resource.pk)
    require_manage(actor, resource.node)
    for key, value in fields.items():
        setattr(resource, key, value)
    resource.node = node
    resource.save()
    return resource


# ------------------------------------------------------------------------------------------------------ projects


def _project_fields(data: dict[str, Any], node: GridNode) -> dict[str, Any]:
    _check_choice(data["category"], Category, gettext_noop("category"))
    _check_choice(data["delivery"], Delivery, gettext_noop("where delivered"))
    _check_choice(data.get("status", ProjectStatus.PLANNED), ProjectStatus, gettext_noop("status"))
    provider: Resource = data["provider"]
    if provider.node.jurisdiction_id != node.jurisdiction_id or not (
        provider.node.path.startswith(node.path[:COMMUNITY_PATH]) or node.path.startswith(provider.node.path)
    ):
        raise DomainError(gettext_noop("The provider is not a resource of %(node)s."), params={"node": node.name})
    price = data.get("price", Decimal("0"))
    if price is None:
        price = Decimal("0")
    price = Decimal(price)
    if price < 0 or price >= Decimal("100000000") or price != price.quantize(Decimal("0.01")):
        raise DomainError(gettext_noop("The price must be a sum in yuan, 0 or more, to the fen."))
    return {
        "name": checked_text(data["name"], gettext_noop("project name"), required=True),
        "category": data["category"],
        "provider": provider,
        "description": checked_text(data.get("description", ""), gettext_noop("description"), max_length=4000),
        "price": price,
        "eligibility": checked_text(data.get("eligibility", ""), gettext_noop("eligibility"), max_length=4000),
        "schedule": checked_text(data.get("schedule", ""), gettext_noop("schedule")),
        "delivery": data["delivery"],
        "place": checked_text(data.get("place", ""), gettext_noop("place")),
        "status": data.get("status", ProjectStatus.PLANNED),
    }


@transaction.atomic
def save_project(
    *,
    actor: Any,
    node: GridNode,
    needs: Iterable[Need] = (),
    project: Project | None = None,
    at: datetime | None = None,
    **data: Any,
) -> Project:
    """Create or edit a project with the needs it answers. Each newly answered need that is collected becomes
    matched; when the project delivers (active or ended) every need it answers is served (one event per step)."""
    at = at or timeutil.now()
    _check_node(node)
    require_manage(actor, node)
    fields = _project_fields(data, node)
    needs = list(needs)
    for need in needs:
        if need.node.jurisdiction_id != node.jurisdiction_id or not need.node.path.startswith(
            node.path[:COMMUNITY_PATH]
        ):
            raise DomainError(
                gettext_noop("The need %(need)s is not in %(node)s."), params={"need": need.title, "node": node.name}
            )
    if project is None:
        project = Project.objects.create(node=node, created_at=at, **fields)
        before: set[int] = set()
    else:
        project = Project.objects.select_for_update().select_related("node").get(pk=project.pk)
        require_manage(actor, project.node)
        for key, value in fields.items():
            setattr(project, key, value)
        project.node = node
        project.save()
        before = set(project.needs.values_list("pk", flat=True))
    project.needs.set(needs)
    locked = list(Need.objects.select_for_update().filter(pk__in=[n.pk for n in needs]).order_by("pk"))
    note = project.name
    if project.status in DELIVERING:
        _follow_projects(locked, delivering=True, actor=actor, note=note, at=at)
    else:
        _follow_projects([n for n in locked if n.pk not in before], delivering=False, actor=actor, note=note, at=at)
    return project
