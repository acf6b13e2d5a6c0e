"""Who may do what with the people of the grid (capabilities in ``grid/roles.py``): ``people.manage`` over a node
vets applications at the level of the post (a community's staff give the community's word, a street's the street's),
appoints and steps down stewards, approves report-ins and service hours, runs activities and keeps the party units
and compound heads; ``contact.manage`` sets leaders' contact points; a leader takes problems on at their own."""

from __future__ import annotations

from typing import Any

from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode


def _staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def can_manage(user: Any, node: GridNode) -> bool:
    return _staff(user) and grid_selectors.user_can(user, roles.PEOPLE_MANAGE, node)


def vetting_levels(user: Any, node: GridNode) -> set[str]:
    """The sides of the joint vetting (联审) the user speaks for over ``node``: "community" from a community post,
    "street" from a street post (a superuser: both)."""
    if not _staff(user):
        return set()
    if getattr(user, "is_superuser", False):
        return {roles.COMMUNITY, roles.STREET}
    found = set()
    for post in grid_selectors.active_posts(user):
        if post.node is None or not roles.can(post.role, roles.PEOPLE_MANAGE):
            continue
        if post.node.level in (roles.COMMUNITY, roles.STREET) and post.node.is_ancestor_of(node):
            found.add(post.node.level)
    return found


def can_manage_contacts(user: Any) -> bool:
    if not _staff(user):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return any(roles.can(post.role, roles.CONTACT_MANAGE) for post in grid_selectors.active_posts(user))


def can_give_errands(user: Any, community: GridNode) -> bool:
    """Staff with a post in the community, under it (its stewards and grid workers) or over it offer and withdraw
    its volunteers' errands (代办); whether the case is theirs to hand on the case engine decides."""
    if not _staff(user):
        return False
    if getattr(user, "is_superuser", False):
        return True
    for post in grid_selectors.active_posts(user):
        node = post.node
        if node is not None and (node.is_ancestor_of(community) or community.is_ancestor_of(node)):
            return True
    return False
