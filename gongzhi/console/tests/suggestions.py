"""What smart triage said about a case, written as the routing app writes it at submission (for console tests)."""

from __future__ import annotations

from typing import Any

from gongzhi.routing.models import CaseTriage


def suggest(case: Any, *, top: list[tuple[str, float]], level: list[Any] | None = None, unit: list[Any] | None = None):
    row, _created = CaseTriage.objects.update_or_create(
        case_id=case.pk,
        defaults={
            "jurisdiction_id": case.jurisdiction_id,
            "submitted_at": case.submitted_at,
            "text": case.title,
            "category": top[0][0],
            "confidence": top[0][1],
            "data": {"top": [list(t) for t in top], "level": level, "unit": unit, "reasons": [], "duplicates": []},
        },
    )
    return row
