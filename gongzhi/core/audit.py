from __future__ import annotations

from typing import Any

from gongzhi.core.models import AuditEntry


def record(*, actor: Any, action: str, target: str = "", data: dict[str, Any] | None = None) -> AuditEntry:
    user = actor if getattr(actor, "pk", None) else None
    return AuditEntry.objects.create(actor=user, action=action, target=target[:200], data=data or {})
