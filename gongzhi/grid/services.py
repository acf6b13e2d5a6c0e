"""Writes to the grid: one function per use case, keyword-only, atomic."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Max

from gongzhi.core.errors import DomainError, Term, gettext_noop
from gongzhi.grid import geo, location, roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import PATH_SEGMENT_WIDTH, Department, GridNode, Jurisdiction, StaffPost

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
MAX_SIBLINGS = 36**PATH_SEGMENT_WIDTH


def path_segment(index: int) -> str:
    """Fixed-width base-36 segment: index 0 -> '0000', 37 -> '0011'."""
    if not 0 <= index < MAX_SIBLINGS:
        raise DomainError(gettext_noop("a grid node can have at most %(n)d children"), params={"n": MAX_SIBLINGS})
    chars = []
    for _ in range(PATH_SEGMENT_WIDTH):
        index, rest = divmod(index, 36)
        chars.append(_DIGITS[rest])
    return "".join(reversed(chars))


def validate_child_level(parent: GridNode | None, level: str) -> None:
    if level not in roles.LEVELS:
        raise DomainError(gettext_noop("unknown level %(level)r"), params={"level": level})
    expected = roles.DISTRICT if parent is None else roles.child_level(parent.level)
    if level != expected:
        if parent is None:
            raise DomainError(gettext_noop("only a district can be the root of a jurisdiction's grid"))
        if expected is None:
            raise DomainError(gettext_noop("a micro-grid cannot have children"))
        raise DomainError(
            gettext_noop("a %(parent)s node's children are %(expected)s nodes, not %(level)s"),
            params={
                "parent": Term(roles.LEVEL_TERMS[parent.level]),
                "expected": Term(roles.LEVEL_TERMS[expected]),
                "level": Term(roles.LEVEL_TERMS[level]),
            },
        )


def boundary_fields(boundary: dict[str, Any] | None) -> dict[str, Any]:
    """Validated boundary plus its label point, as model field values."""
    if boundary is None:
        return {"boundary": None, "centroid_lat": None, "centroid_lon": None}
    try:
        lat, lon = geo.centroid(boundary)
    except geo.BoundaryError as exc:
        raise DomainError(gettext_noop("boundary: %(problem)s"), params={"problem": str(exc)}) from None
    return {"boundary": geo.json_safe(boundary), "centroid_lat": lat, "centroid_lon": lon}


@transaction.atomic
def create_jurisdiction(*, code: str, name: str) -> Jurisdiction:
    return Jurisdiction.objects.create(code=code, name=name)


@transaction.atomic
def add_node(
    *,
    jurisdiction: Jurisdiction,
    parent: GridNode | None,
    level: str,
    code: str,
    name: str,
    boundary: dict[str, Any] | None = None,
    sort_order: int = 0,
) -> GridNode:
    validate_child_level(parent, level)
    if parent is not None and parent.jurisdiction_id != jurisdiction.pk:
        raise DomainError(gettext_noop("the parent belongs to another jurisdiction"))
    if parent is None and GridNode.objects.filter(jurisdiction=jurisdiction, parent__isnull=True).exists():
        raise DomainError(gettext_noop("this jurisdiction already has a district root"))
    if GridNode.objects.filter(jurisdiction=jurisdiction, code=code).exists():
        raise DomainError(gettext_noop("grid node code %(code)r is already used"), params={"code": code})
    # Lock the parent so two concurrent inserts under it cannot take the same path segment.
    siblings = GridNode.objects.filter(jurisdiction=jurisdiction, parent=parent)
    if parent is not None:
        GridNode.objects.select_for_update().filter(pk=parent.pk).get()
    last = siblings.aggregate(last=Max("path"))["last"]
    index = 0 if last is None else int(last[-PATH_SEGMENT_WIDTH:], 36) + 1
    node = GridNode.objects.create(
        jurisdiction=jurisdiction,
        parent=parent,
        level=level,
        code=code,
        name=name,
        path=(parent.path if parent else "") + path_segment(index),
        sort_order=sort_order,
        **boundary_fields(boundary),
    )
    if boundary is not None:
        bump_boundary_version(jurisdiction=jurisdiction)
    return node


@transaction.atomic
def set_boundary(*, node: GridNode, boundary: dict[str, Any] | None) -> GridNode:
    fields = boundary_fields(boundary)
    GridNode.objects.filter(pk=node.pk).update(**fields)
    for key, value in fields.items():
        setattr(node, key, value)
    bump_boundary_version(jurisdiction=node.jurisdiction)
    return node


def bump_boundary_version(*, jurisdiction: Jurisdiction) -> None:
    """Tell every process its geo index for this jurisdiction is stale."""
    Jurisdiction.objects.filter(pk=jurisdiction.pk).update(boundary_version=F("boundary_version") + 1)
    jurisdiction_id = jurisdiction.pk
    # Now, so lookups later in this transaction see the change; and again on commit, in case a lookup in between
    # rebuilt the index from a state another transaction then changed.
    location.invalidate(jurisdiction_id)
    transaction.on_commit(lambda: location.invalidate(jurisdiction_id))


@transaction.atomic
def assign_post(
    *,
    user: Any,
    role: str,
    node: GridNode | None = None,
    department: Department | None = None,
    title: str = "",
    duty: str = "",
    public_phone: str = "",
    is_public: bool = True,
) -> StaffPost:
    problem = roles.post_placement_error(role, level=node.level if node else None, on_department=department is not None)
    if problem is None and node is not None and department is not None:
        problem = "a post sits on a grid node or a department, not both"
    if problem:
        raise DomainError(problem)
    place = node if node is not None else department
    assert place is not None
    grid_selectors.forget_posts(user)
    post, _created = StaffPost.objects.update_or_create(
        user=user,
        role=role,
        node=node,
        department=department,
        defaults={
            "jurisdiction_id": place.jurisdiction_id,
            "title": title,
            "duty": duty,
            "public_phone": public_phone,
            "is_public": is_public,
            "active": True,
        },
    )
    return post


def end_post(*, post: StaffPost) -> StaffPost:
    """The post is given up (a steward steps down): inactive at once — every request reads the user's active posts
    afresh, so the next one already has no access through it; the public card goes with it."""
    StaffPost.objects.filter(pk=post.pk).update(active=False)
    post.active = False
    grid_selectors.forget_posts(post.user)
    return post
