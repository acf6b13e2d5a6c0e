"""The catalogue and the deadline policies of a jurisdiction, read once per process for the case engine's hot path.

A case action needs the category's name (for messages) and the deadline policy of its category or the nearest
ancestor's (for deadlines). Both tables are small (about a hundred categories and three hundred policies per
district) and change only when an administrator edits them, so each process keeps them in memory: a save or delete
through the ORM or the admin drops them at once (signals, cases/apps.py), ``catalogue.seed`` drops them after its bulk
insert, and every copy expires after ``CACHE_SECONDS`` so an edit made in another process is picked up within that
time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from gongzhi.cases import sla
from gongzhi.core import caches

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class CategoryInfo:
    pk: int
    parent_id: int | None
    code: str
    name: str
    name_en: str


@dataclass
class Table:
    expires: float
    categories: dict[int, CategoryInfo] = field(default_factory=dict)
    # (category id or None for the jurisdiction's fallback, urgency) -> policy
    policies: dict[tuple[int | None, str], sla.Policy] = field(default_factory=dict)

    def policy(self, category_id: int | None, urgency: str) -> sla.Policy | None:
        """The policy of the category, else of its nearest ancestor that has one, else the jurisdiction's fallback."""
        seen: set[int] = set()
        current = category_id
        while current is not None and current not in seen:
            seen.add(current)
            found = self.policies.get((current, urgency))
            if found is not None:
                return found
            info = self.categories.get(current)
            current = info.parent_id if info is not None else None
        return self.policies.get((None, urgency))


_tables: dict[int, Table] = {}


def table(jurisdiction_id: int) -> Table:
    now = time.monotonic()
    found = _tables.get(jurisdiction_id)
    if found is not None and found.expires > now:
        return found
    from gongzhi.cases.models import CaseCategory, SlaPolicy

    fresh = Table(expires=now + CACHE_SECONDS)
    for pk, parent_id, code, name, name_en in CaseCategory.objects.filter(jurisdiction_id=jurisdiction_id).values_list(
        "pk", "parent_id", "code", "name", "name_en"
    ):
        fresh.categories[pk] = CategoryInfo(pk, parent_id, code, name, name_en)
    for row in SlaPolicy.objects.filter(jurisdiction_id=jurisdiction_id).values(
        "category_id", "urgency", "response_minutes", "resolve_minutes", "working_time", "warn_ratio", "grace_minutes"
    ):
        fresh.policies[(row["category_id"], row["urgency"])] = sla.Policy(
            response_minutes=row["response_minutes"],
            resolve_minutes=row["resolve_minutes"],
            working_time=row["working_time"],
            warn_ratio=row["warn_ratio"],
            grace_minutes=row["grace_minutes"],
        )
    _tables[jurisdiction_id] = fresh
    return fresh


def category_name(jurisdiction_id: int, category_id: int | None) -> str:
    if category_id is None:
        return ""
    info = table(jurisdiction_id).categories.get(category_id)
    return info.name if info is not None else ""


def invalidate(*args: Any, **kwargs: Any) -> None:
    """Drop every cached table (also usable as a signal receiver)."""
    _tables.clear()


caches.register(__name__, invalidate)
