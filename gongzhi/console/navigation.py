"""The console's navigation: the workbenches the viewer may open (``selectors.workbenches``, the same answer the views
check), the one they start on first, and the rest behind "More" on a phone.

On a phone (up to 719 px) the row holds the starting workbench, the next one, the inbox and "More" (a ``<details>``
menu: no script); on a wider screen every link is in the row and "More" is hidden (console.css).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongzhi.console.selectors import Workbenches

# The order links appear in after the starting workbench; the first two are on the phone's row.
ORDER = (
    "tasks",
    "queue",
    "department",
    "analytics",
    "record",
    "cases",
    "clearance",
    "stations",
    "market",
    "care",
    "care_log",
    "topics",
    "notices",
    "people",
    "contacts",
    "lists",
    "imports",
    "areas",
)
LINKS: dict[str, tuple[str, Any]] = {
    "tasks": ("console:tasks", _("My tasks")),
    "queue": ("console:queue", _("Dispatch queue")),
    "department": ("console:department", _("Department")),
    "analytics": ("analytics:home", _("Command centre")),
    "record": ("console:record", _("Record a case")),
    "cases": ("console:cases", _("All cases")),
    "clearance": ("console:clearance", _("Daily clearance")),
    "stations": ("console:stations", _("Stations")),
    "market": ("console:markets", _("Markets")),
    "care": ("console:care", _("Care registry")),
    "care_log": ("console:care_access_log", _("Care access log")),
    "topics": ("console:topics", _("Deliberation")),
    "notices": ("console:notices", _("Notices")),
    "people": ("console:people_applications", _("Stewards and volunteers")),
    "contacts": ("console:people_contacts", _("Contact points")),
    "lists": ("console:lists", _("Lists")),
    "imports": ("console:imports", _("Imports")),
    "areas": ("console:areas", _("Grid map")),
    "inbox": ("console:inbox", _("Inbox")),
}
# The pages that belong to each link (it is marked as the current one there).
SECTIONS: dict[str, frozenset[str]] = {
    "tasks": frozenset({"console:tasks"}),
    "queue": frozenset({"console:queue"}),
    "department": frozenset({"console:department"}),
    "record": frozenset({"console:record"}),
    "cases": frozenset({"console:cases", "console:cases_map"}),
    "clearance": frozenset({"console:clearance"}),
    "stations": frozenset(
        {
            "console:stations",
            "console:station",
            "console:station_new",
            "console:station_edit",
            "console:station_rota",
            "console:station_circle",
        }
    ),
    "market": frozenset(
        {
            "console:markets",
            "console:market_event_new",
            "console:market_series_new",
            "console:market_ledger",
            "console:market_event",
            "console:market_desk",
            "console:market_event_ledger",
        }
    ),
    "lists": frozenset(
        {
            "console:lists",
            "console:lists_needs",
            "console:lists_need_new",
            "console:lists_need",
            "console:lists_need_edit",
            "console:lists_resources",
            "console:lists_resource_new",
            "console:lists_resource_edit",
            "console:lists_projects",
            "console:lists_project_new",
            "console:lists_project",
            "console:lists_project_edit",
        }
    ),
    "care": frozenset(
        {
            "console:care",
            "console:care_resident",
            "console:care_resident_open",
            "console:care_household",
            "console:care_household_new",
            "console:care_visits",
            "console:care_visit",
            "console:care_overdue",
        }
    ),
    "care_log": frozenset({"console:care_access_log"}),
    "topics": frozenset(
        {
            "console:topics",
            "console:topic_new",
            "console:topic",
            "console:meetings",
            "console:meeting_new",
            "console:meeting",
            "console:vote_new",
            "console:vote",
            "console:vote_desk",
        }
    ),
    "notices": frozenset({"console:notices"}),
    "people": frozenset(
        {
            "console:people_applications",
            "console:people_application",
            "console:people_stewards",
            "console:people_steward",
            "console:people_volunteers",
            "console:people_team",
            "console:people_activities",
            "console:people_activity_new",
            "console:people_activity",
            "console:people_hours",
            "console:people_party",
        }
    ),
    "contacts": frozenset({"console:people_contacts"}),
    "imports": frozenset({"console:imports", "console:import"}),
    "areas": frozenset({"console:areas", "console:grid_node"}),
    "inbox": frozenset({"console:inbox"}),
}
ON_THE_ROW = 2


@dataclass(frozen=True)
class Link:
    key: str
    url: str
    label: Any
    on_phone: bool
    current: bool


@dataclass(frozen=True)
class Navigation:
    links: list[Link] = field(default_factory=list)  # in the row (all of them on a wide screen)
    more: list[Link] = field(default_factory=list)  # behind "More" on a phone
    inbox: Link | None = None


def _current(key: str, view: str, namespace: str) -> bool:
    if key == "analytics":
        return namespace == "analytics"
    return view in SECTIONS.get(key, frozenset())


def build(bench: Workbenches, *, view: str = "", namespace: str = "") -> Navigation:
    """The links for a viewer with ``bench``, on the page ``view`` (``namespace:url_name``)."""
    start = bench.landing
    keys = [k for k in ORDER if getattr(bench, k)]
    if start in keys:
        keys.remove(start)
        keys.insert(0, start)

    def link(key: str, on_phone: bool) -> Link:
        name, label = LINKS[key]
        return Link(key, reverse(name), label, on_phone, _current(key, view, namespace))

    links = [link(k, i < ON_THE_ROW) for i, k in enumerate(keys)]
    return Navigation(links=links, more=[x for x in links if not x.on_phone], inbox=link("inbox", True))
