"""Seeding a jurisdiction's category catalogue (``seed_catalogue``) and its deadline policies, idempotently.

Existing categories and policies are left as they are (an administrator may have changed them); only what is missing
is created, so seeding again after an upgrade adds new categories without undoing local edits.
"""

from __future__ import annotations

from django.db import transaction

from gongzhi.cases import catalogue_cache
from gongzhi.cases.models import CaseCategory, SlaPolicy
from gongzhi.cases.seed_catalogue import DEFAULT_SLA, iter_categories, seeded_private
from gongzhi.grid.models import Jurisdiction


@transaction.atomic
def seed(*, jurisdiction: Jurisdiction) -> dict[str, int]:
    existing = {c.code: c for c in CaseCategory.objects.filter(jurisdiction=jurisdiction)}
    created = 0
    for order, (node, parent_code, _sla) in enumerate(iter_categories()):
        if node.code in existing:
            continue
        existing[node.code] = CaseCategory.objects.create(
            jurisdiction=jurisdiction,
            parent=existing[parent_code] if parent_code else None,
            code=node.code,
            name=node.name,
            name_en=node.name_en,
            description=node.description,
            kind=node.kind,
            default_level=node.default_level,
            default_department_kind=node.department or "",
            default_urgency=node.urgency,
            keywords=list(node.keywords),
            attributes=[a.to_open311() for a in node.attributes],
            private=seeded_private(node.code),
            errand=node.errand,
            sort_order=order,
        )
        created += 1
    have = set(SlaPolicy.objects.filter(jurisdiction=jurisdiction).values_list("category__code", "urgency"))
    policies = [
        SlaPolicy(
            jurisdiction=jurisdiction,
            category=None,
            urgency=urgency,
            response_minutes=target.response_minutes,
            resolve_minutes=target.resolve_minutes,
            working_time=target.working_time,
        )
        for urgency, target in DEFAULT_SLA.items()
        if (None, urgency) not in have
    ]
    for node, _parent, effective in iter_categories():
        for urgency, target in effective.items():
            if (node.code, urgency) not in have:
                policies.append(
                    SlaPolicy(
                        jurisdiction=jurisdiction,
                        category=existing[node.code],
                        urgency=urgency,
                        response_minutes=target.response_minutes,
                        resolve_minutes=target.resolve_minutes,
                        working_time=target.working_time,
                    )
                )
    SlaPolicy.objects.bulk_create(policies)
    transaction.on_commit(catalogue_cache.invalidate)
    catalogue_cache.invalidate()
    return {"categories": created, "policies": len(policies)}
