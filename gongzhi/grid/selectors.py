"""Reads from the grid. Every read that depends on who asks takes the viewer (DESIGN.md §3)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from gongzhi.core import caches, prepared
from gongzhi.core.scoping import get_in_scope
from gongzhi.grid import roles
from gongzhi.grid.models import Building, Department, GridNode, StaffPost

_POSTS_MEMO = "_gongzhi_active_posts"

# Grid nodes without their boundary, kept per process for the case engine's hot path. A node's jurisdiction, parent,
# level and path never change once it exists (there is no "move" in the grid services), so a cached copy can be stale
# only in its name or order: saves and deletes through the ORM drop the entry at once (signals, grid/apps.py), and
# every entry expires after NODE_CACHE_SECONDS, which bounds what another process's admin edit can leave behind.
NODE_CACHE_SECONDS = 60.0
_NODE_FIELDS = ("jurisdiction", "parent", "level", "code", "name", "path", "centroid_lat", "centroid_lon", "sort_order")
_nodes: dict[int, tuple[float, GridNode]] = {}


def node(pk: int) -> GridNode:
    """The grid node ``pk`` without its boundary polygon, from the per-process cache (raises GridNode.DoesNotExist)."""
    now = time.monotonic()
    hit = _nodes.get(pk)
    if hit is not None and hit[0] > now:
        return hit[1]
    found = prepared.get(GridNode, pk, only=_NODE_FIELDS)
    if found is None:
        raise GridNode.DoesNotExist(f"grid node {pk} does not exist")
    _nodes[pk] = (now + NODE_CACHE_SECONDS, found)
    return found


def ancestor_at(start: GridNode, level: str) -> GridNode | None:
    """``start`` or the nearest node above it at ``level`` (None when there is none), walking the cached parents."""
    current: GridNode | None = start
    while current is not None:
        if current.level == level:
            return current
        current = node(current.parent_id) if current.parent_id is not None else None
    return None


def forget_nodes(*pks: int) -> None:
    """Drop cached nodes (all of them without arguments)."""
    if not pks:
        _nodes.clear()
    for pk in pks:
        _nodes.pop(pk, None)


caches.register(f"{__name__}.node", forget_nodes)


def active_posts(user: Any) -> tuple[StaffPost, ...]:
    """The user's active posts, read once per user object (a request's user, a simulation's actor).

    Kept on the instance the way Django keeps ``_perm_cache``; ``forget_posts`` drops it when posts change.
    Boundaries are left out: permission checks never need polygons.
    """
    if not getattr(user, "is_authenticated", False):
        return ()
    memo = user.__dict__.get(_POSTS_MEMO)
    if memo is None:
        memo = user.__dict__[_POSTS_MEMO] = tuple(_POSTS_OF_USER.objects(user.pk))
    return memo


def _posts() -> QuerySet[StaffPost]:
    return (
        StaffPost.objects.filter(active=True)
        .select_related("node", "department__service_area")
        .defer("node__boundary", "department__service_area__boundary")
    )


# Compiled once (a request's posts are read with every staff request: compiling the three-table queryset cost
# about ten times running it).
_POSTS_OF_USER = prepared.Objects(lambda user_id: _posts().filter(user_id=user_id))


def prime_posts(users: Iterable[Any]) -> None:
    """Read the active posts of many users in one query and keep them as ``active_posts`` would (a batch job that
    acts as many people, such as the simulation)."""
    by_id = {user.pk: user for user in users if getattr(user, "is_authenticated", False)}
    found: dict[int, list[StaffPost]] = {pk: [] for pk in by_id}
    for post in _posts().filter(user_id__in=list(by_id)).order_by("user_id", "jurisdiction", "role", "id"):
        found[post.user_id].append(post)
    for pk, posts in found.items():
        by_id[pk].__dict__[_POSTS_MEMO] = tuple(posts)


def forget_posts(user: Any) -> None:
    user.__dict__.pop(_POSTS_MEMO, None)


def scope_prefixes(user: Any) -> list[tuple[int, str]]:
    """(jurisdiction id, path prefix) pairs the user sees, with prefixes covered by another one dropped."""
    prefixes: set[tuple[int, str]] = set()
    roots: dict[int, str] | None = None
    for post in active_posts(user):
        if post.node is not None:
            prefixes.add((post.jurisdiction_id, post.node.path))
        elif post.department is not None:
            area = post.department.service_area
            if area is not None:
                prefixes.add((area.jurisdiction_id, area.path))
            else:
                if roots is None:
                    roots = dict(GridNode.objects.filter(parent__isnull=True).values_list("jurisdiction_id", "path"))
                if post.jurisdiction_id in roots:
                    prefixes.add((post.jurisdiction_id, roots[post.jurisdiction_id]))
    return _outermost(prefixes)


def node_scope_prefixes(posts: Iterable[StaffPost]) -> list[tuple[int, str]]:
    """(jurisdiction id, path prefix) pairs of the given posts' grid nodes (department posts add none), with
    prefixes covered by another one dropped: what those posts see of the grid's cases."""
    return _outermost({(p.jurisdiction_id, p.node.path) for p in posts if p.node is not None})


def _outermost(prefixes: set[tuple[int, str]]) -> list[tuple[int, str]]:
    ordered = sorted(prefixes, key=lambda p: (p[0], len(p[1]), p[1]))
    kept: list[tuple[int, str]] = []
    for jurisdiction_id, path in ordered:
        if not any(j == jurisdiction_id and path.startswith(p) for j, p in kept):
            kept.append((jurisdiction_id, path))
    return kept


def capability_condition(user: Any, capability: str, field: str = "", *, widen_to: int = 0) -> Q | None:
    """A filter on ``<field>jurisdiction_id`` and ``<field>path`` for the subtrees of the user's grid posts granting
    ``capability``: ``Q()`` for a superuser (everything), None when no post grants it (nothing). ``widen_to`` (a path
    length, e.g. a community's) lets a post below that level read its whole community."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return Q()
    posts = [p for p in active_posts(user) if p.node_id and roles.can(p.role, capability)]
    prefixes = sorted({(j, path[:widen_to] if widen_to else path) for j, path in node_scope_prefixes(posts)})
    if not prefixes:
        return None
    condition = Q()
    for jurisdiction_id, path in _outermost(set(prefixes)):
        condition |= Q(**{f"{field}jurisdiction_id": jurisdiction_id, f"{field}path__startswith": path})
    return condition


def grid_nodes_visible_to(user: Any) -> QuerySet[GridNode]:
    """The grid nodes in the user's scope: the subtrees of their posts' nodes (superusers see everything)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return GridNode.objects.all()
    condition = Q()
    for jurisdiction_id, path in scope_prefixes(user):
        condition |= Q(jurisdiction_id=jurisdiction_id, path__startswith=path)
    if not condition:
        return GridNode.objects.none()
    return GridNode.objects.filter(condition)


def grid_node_for(user: Any, node_id: Any) -> GridNode:
    """One node the user may see; NotFound otherwise (out of scope and missing look the same)."""
    return get_in_scope(grid_nodes_visible_to(user).select_related("parent", "jurisdiction"), pk=node_id)


def home_nodes(user: Any) -> list[GridNode]:
    """The top nodes of the user's scope (where their console starts)."""
    if getattr(user, "is_superuser", False):
        return list(GridNode.objects.filter(parent__isnull=True).select_related("jurisdiction"))
    condition = Q()
    for jurisdiction_id, path in scope_prefixes(user):
        condition |= Q(jurisdiction_id=jurisdiction_id, path=path)
    return list(GridNode.objects.filter(condition).select_related("jurisdiction")) if condition else []


def home_node_with(user: Any, capability: str) -> GridNode | None:
    """Where a page that needs ``capability`` opens for ``user``: the outermost grid node one of their posts grants it
    over (a department post: its service area); the first root for a superuser; None when no post grants it.

    Read from the user's posts alone (a query only for a superuser), so the console's navigation can ask on every
    page.
    """
    if getattr(user, "is_superuser", False) and user.is_active:
        return (
            GridNode.objects.filter(parent__isnull=True).defer("boundary").order_by("jurisdiction_id", "path").first()
        )
    found: list[GridNode] = []
    for post in active_posts(user):
        if not roles.can(post.role, capability):
            continue
        area = post.node or (post.department.service_area if post.department else None)
        if area is not None:
            found.append(area)
    return min(found, key=lambda n: (len(n.path), n.jurisdiction_id, n.path), default=None)


def subtree(node: GridNode) -> QuerySet[GridNode]:
    return GridNode.objects.filter(jurisdiction_id=node.jurisdiction_id, path__startswith=node.path)


def ancestors(node: GridNode, *, include_self: bool = False) -> QuerySet[GridNode]:
    from gongzhi.grid.models import PATH_SEGMENT_WIDTH as W

    paths = [node.path[:i] for i in range(W, len(node.path) + (W if include_self else 0), W)]
    return GridNode.objects.filter(jurisdiction_id=node.jurisdiction_id, path__in=paths).order_by("path")


def user_can(user: Any, capability: str, node: GridNode) -> bool:
    """Does one of the user's posts grant ``capability`` over ``node``?"""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    for post in active_posts(user):
        if not roles.can(post.role, capability):
            continue
        area = post.node or (post.department.service_area if post.department else None)
        if area is None and post.department is not None:
            if post.jurisdiction_id == node.jurisdiction_id:
                return True
        elif area is not None and area.is_ancestor_of(node):
            return True
    return False


@dataclass(frozen=True)
class StaffCard:
    """三亮: identity, duty and phone of one staff post, as residents see it."""

    post_id: int
    name: str
    title: str
    role: str
    duty: str
    phone: str
    photo_url: str
    place: str
    level: str
    node_id: int | None = None


def staff_cards(node: GridNode) -> list[StaffCard]:
    """Public cards for a node and the nodes above it up to its community, nearest first."""
    chain = [
        n
        for n in ancestors(node, include_self=True)
        if roles.level_index(n.level) >= roles.level_index(roles.COMMUNITY)
    ]
    posts = (
        StaffPost.objects.filter(node__in=chain, is_public=True, active=True)
        .select_related("user", "node")
        .order_by("-node__path", "role", "id")
    )
    return [
        StaffCard(
            post_id=p.pk,
            name=str(p.user),
            title=p.title or p.get_role_display(),
            role=p.role,
            duty=p.duty,
            phone=p.public_phone,
            photo_url=p.photo.url if p.photo else "",
            place=p.node.name if p.node else "",
            level=p.node.level if p.node else "",
            node_id=p.node_id,
        )
        for p in posts
    ]


def building_by_token(token: str) -> Building | None:
    """Public lookup for a QR scan; unknown tokens give None (the caller answers 404 without saying more)."""
    if not token or len(token) > 32:
        return None
    return Building.objects.select_related("compound", "node", "jurisdiction").filter(public_token=token).first()


def departments_of(jurisdiction_id: int) -> QuerySet[Department]:
    return Department.objects.filter(jurisdiction_id=jurisdiction_id, active=True)


def subtree_counts(node: GridNode) -> dict[str, int]:
    """How many nodes of each level, buildings and staff posts the node's subtree holds."""
    from django.db.models import Count

    nodes = subtree(node)
    counts = {row["level"]: row["n"] for row in nodes.values("level").annotate(n=Count("id"))}
    counts["buildings"] = Building.objects.filter(node__in=nodes).count()
    counts["posts"] = StaffPost.objects.filter(node__in=nodes, active=True).count()
    return counts
