"""Roles and their capabilities (DESIGN.md §6). Pure: no Django import, strictly typed.

A capability is what a post lets its holder do *within the post's scope* (the subtree of its node, or its
department's assigned work). Domain policies ask ``can(role, capability)``; they never compare role names.
"""

from __future__ import annotations

from typing import Final

from gongzhi.core.errors import gettext_noop

RESIDENT: Final = "resident"
STEWARD: Final = "steward"
# A part-time steward (兼职小管家: a student, a courier, a delivery rider): reports what they see on their rounds,
# handles no case.
PATROL: Final = "patrol"
GRID_WORKER: Final = "grid_worker"
COMMUNITY_STAFF: Final = "community_staff"
STREET_STAFF: Final = "street_staff"
DEPARTMENT_STAFF: Final = "department_staff"
COMMAND_CENTRE: Final = "command_centre"
LEADER: Final = "leader"
ADMIN: Final = "admin"

ROLES: Final[tuple[str, ...]] = (
    RESIDENT,
    STEWARD,
    PATROL,
    GRID_WORKER,
    COMMUNITY_STAFF,
    STREET_STAFF,
    DEPARTMENT_STAFF,
    COMMAND_CENTRE,
    LEADER,
    ADMIN,
)

# Grid levels, top down (the 四循环 ladder runs bottom up over the same levels).
DISTRICT: Final = "district"
STREET: Final = "street"
COMMUNITY: Final = "community"
GRID: Final = "grid"
MICRO_GRID: Final = "micro_grid"
LEVELS: Final[tuple[str, ...]] = (DISTRICT, STREET, COMMUNITY, GRID, MICRO_GRID)
# How messages name the levels (grid.choices.Level's labels; translated when a message is shown, core.errors).
LEVEL_TERMS: Final = {
    DISTRICT: gettext_noop("district"),
    STREET: gettext_noop("street"),
    COMMUNITY: gettext_noop("community"),
    GRID: gettext_noop("grid"),
    MICRO_GRID: gettext_noop("micro-grid"),
}

# Capabilities, grouped by what they unlock.
GRID_VIEW: Final = "grid.view"  # see the tree, boundaries and staff cards
GRID_MANAGE: Final = "grid.manage"  # edit nodes and boundaries, import grids
STAFF_MANAGE: Final = "staff.manage"  # create posts, print staff cards
CASE_VIEW: Final = "case.view"
CASE_RECORD: Final = "case.record"  # 代录 / 主动发现: file a case on someone's behalf or from patrol
CASE_ACCEPT: Final = "case.accept"  # take a case dispatched to me or my pool (接单)
CASE_HANDLE: Final = "case.handle"  # return, escalate, hold, resolve my cases
CASE_TRIAGE: Final = "case.triage"  # 梳理: categorise, reject, merge
CASE_DISPATCH: Final = "case.dispatch"  # 交办
CASE_SUPERVISE: Final = "case.supervise"  # 督办
CASE_WHISTLE: Final = "case.whistle"  # 吹哨: summon departments
CASE_REPORT_IN: Final = "case.report_in"  # 报到 for a co-handling task
CASE_PUBLISH: Final = "case.publish"  # 公示
# See and call the reporter's phone of a case one handles, or whose handling unit or owner desk one sits at or above
# (cases.policies.phone_reveal_basis says which cases; every reveal is logged). Not leaders', not admins'.
CASE_CONTACT: Final = "case.contact"
CASE_IMPORT: Final = "case.import"  # bring in cases in bulk (hotline exports: the desks' and command centre's intake)
ANALYTICS_VIEW: Final = "analytics.view"
# The ledger and three lists (一台账三清单: needs, resources, projects) of the communities in one's scope.
LISTS_VIEW: Final = "lists.view"
LISTS_MANAGE: Final = "lists.manage"  # record and edit needs, resources and projects; import the lists
# Stations (驿站): keep the desk (count visitors, take walk-in requests and 代办 matters) or set stations up (items,
# hours, point on the map, duty rota). Someone on a station's rota keeps its desk whatever their post's scope.
STATION_DESK: Final = "station.desk"
STATION_MANAGE: Final = "station.manage"
# The service market (市集) and mobile service days: plan events, offerings, prices and capacity (manage), or keep a
# stall: check residents in, serve walk-ups, book for a resident without a phone, mark no-shows (desk).
MARKET_DESK: Final = "market.desk"
MARKET_MANAGE: Final = "market.manage"
# The care registry (households, residents in care, visits: DESIGN.md §5 "Care"), always within the post's subtree:
# search it, open a full record (with a purpose, logged) and record visits (view); keep households, residents, care
# levels, imports, exports, and a resident's export and erasure on their request (manage); review the access log
# (audit: administrators, who do not see the records themselves). Leaders and the command centre see figures only.
CARE_VIEW: Final = "care.view"
CARE_MANAGE: Final = "care.manage"
CARE_AUDIT: Final = "care.audit"
# Deliberation (有事来协商, DESIGN.md §5): run topics, meetings and votes of the subtree and moderate comments (manage);
# keep a meeting's door and a vote's desk: check residents in, cast a vote for a resident without a phone (desk);
# publish notices to the buildings of the subtree (通知公告: notice).
DELIBERATION_MANAGE: Final = "deliberation.manage"
DELIBERATION_DESK: Final = "deliberation.desk"
NOTICE_PUBLISH: Final = "notice.publish"
# The people of the grid (DESIGN.md §5): vet steward applications at one's level (the community's and the street's
# word are both needed), appoint and step down stewards, approve report-ins and service hours, run activities, keep
# the party units and the compound heads (people.manage); set leaders' contact points (contact.manage). A leader takes
# problems on at their own contact points whatever their posts.
PEOPLE_MANAGE: Final = "people.manage"
CONTACT_MANAGE: Final = "contact.manage"

_STAFF_BASE: Final = frozenset({GRID_VIEW, CASE_VIEW})
# Community staff and above keep the lists of their subtree; stewards and grid workers read them (to point residents
# to a service); departments do not see them.
_LISTS: Final = frozenset({LISTS_VIEW, LISTS_MANAGE})

CAPABILITIES: Final[dict[str, frozenset[str]]] = {
    RESIDENT: frozenset(),
    PATROL: frozenset({GRID_VIEW, CASE_RECORD}),
    STEWARD: _STAFF_BASE
    | {
        CASE_RECORD,
        CASE_ACCEPT,
        CASE_HANDLE,
        CASE_CONTACT,
        STATION_DESK,
        LISTS_VIEW,
        MARKET_DESK,
        CARE_VIEW,
        DELIBERATION_DESK,
    },
    GRID_WORKER: _STAFF_BASE
    | {
        CASE_RECORD,
        CASE_ACCEPT,
        CASE_HANDLE,
        CASE_TRIAGE,
        CASE_CONTACT,
        STATION_DESK,
        LISTS_VIEW,
        MARKET_DESK,
        CARE_VIEW,
        DELIBERATION_DESK,
        NOTICE_PUBLISH,
    },
    COMMUNITY_STAFF: _STAFF_BASE
    | {
        CASE_RECORD,
        CASE_ACCEPT,
        CASE_HANDLE,
        CASE_TRIAGE,
        CASE_DISPATCH,
        CASE_SUPERVISE,
        CASE_PUBLISH,
        CASE_CONTACT,
        CASE_IMPORT,
        STAFF_MANAGE,
        ANALYTICS_VIEW,
        STATION_DESK,
        STATION_MANAGE,
        MARKET_DESK,
        MARKET_MANAGE,
        CARE_VIEW,
        CARE_MANAGE,
        DELIBERATION_MANAGE,
        DELIBERATION_DESK,
        NOTICE_PUBLISH,
        PEOPLE_MANAGE,
    }
    | _LISTS,
    STREET_STAFF: _STAFF_BASE
    | {
        CASE_RECORD,
        CASE_ACCEPT,
        CASE_HANDLE,
        CASE_TRIAGE,
        CASE_DISPATCH,
        CASE_SUPERVISE,
        CASE_WHISTLE,
        CASE_PUBLISH,
        CASE_CONTACT,
        CASE_IMPORT,
        STAFF_MANAGE,
        ANALYTICS_VIEW,
        STATION_DESK,
        STATION_MANAGE,
        MARKET_DESK,
        MARKET_MANAGE,
        CARE_VIEW,
        CARE_MANAGE,
        DELIBERATION_MANAGE,
        DELIBERATION_DESK,
        NOTICE_PUBLISH,
        PEOPLE_MANAGE,
    }
    | _LISTS,
    DEPARTMENT_STAFF: _STAFF_BASE | {CASE_ACCEPT, CASE_HANDLE, CASE_REPORT_IN, CASE_CONTACT},
    COMMAND_CENTRE: _STAFF_BASE
    | {
        CASE_RECORD,
        CASE_TRIAGE,
        CASE_DISPATCH,
        CASE_SUPERVISE,
        CASE_WHISTLE,
        CASE_PUBLISH,
        CASE_CONTACT,
        CASE_IMPORT,
        ANALYTICS_VIEW,
        CONTACT_MANAGE,
    }
    | _LISTS,
    LEADER: _STAFF_BASE | {CASE_SUPERVISE, ANALYTICS_VIEW, LISTS_VIEW},
    ADMIN: _STAFF_BASE
    | {
        GRID_MANAGE,
        STAFF_MANAGE,
        CASE_TRIAGE,
        CASE_DISPATCH,
        CASE_SUPERVISE,
        CASE_PUBLISH,
        ANALYTICS_VIEW,
        STATION_MANAGE,
        MARKET_MANAGE,
        CARE_AUDIT,
        CONTACT_MANAGE,
    }
    | _LISTS,
}

# Where a post of each role may sit. Department staff sit on a department; residents hold no post.
POST_LEVELS: Final[dict[str, frozenset[str]]] = {
    RESIDENT: frozenset(),
    PATROL: frozenset({MICRO_GRID}),
    STEWARD: frozenset({MICRO_GRID}),
    GRID_WORKER: frozenset({GRID, MICRO_GRID}),
    COMMUNITY_STAFF: frozenset({COMMUNITY}),
    STREET_STAFF: frozenset({STREET}),
    DEPARTMENT_STAFF: frozenset(),
    COMMAND_CENTRE: frozenset({DISTRICT, STREET}),
    LEADER: frozenset({DISTRICT, STREET, COMMUNITY}),
    ADMIN: frozenset({DISTRICT}),
}

DEPARTMENT_ROLES: Final = frozenset({DEPARTMENT_STAFF})


def can(role: str, capability: str) -> bool:
    return capability in CAPABILITIES.get(role, frozenset())


def level_index(level: str) -> int:
    """0 for district … 4 for micro_grid; raises ValueError for an unknown level."""
    return LEVELS.index(level)


def child_level(level: str) -> str | None:
    i = level_index(level)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def parent_level(level: str) -> str | None:
    i = level_index(level)
    return LEVELS[i - 1] if i > 0 else None


def post_placement_error(role: str, *, level: str | None, on_department: bool) -> str | None:
    """Why a post of ``role`` cannot sit there, or None when it can."""
    if role not in CAPABILITIES:
        return f"unknown role {role!r}"
    if role == RESIDENT:
        return "residents do not hold posts"
    if role in DEPARTMENT_ROLES:
        return None if on_department else "department staff must be posted to a department"
    if on_department:
        return f"{role} is posted to a grid node, not a department"
    if level is None:
        return f"{role} needs a grid node"
    allowed = POST_LEVELS[role]
    if level not in allowed:
        return f"{role} cannot be posted at {level} level (allowed: {', '.join(sorted(allowed))})"
    return None
