"""What every console page shows a signed-in staff member: the unread badge and the near-deadline banner."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from gongzhi.console import selectors
from gongzhi.notifications import selectors as inbox


def console(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never render the top bar (JSON, files) never pay for the queries.
    return {
        "console_unread": lambda: inbox.unread_count(user),
        "console_near_breach": lambda: selectors.near_breach(user).order_by().count(),
        "console_bench": lambda: selectors.workbenches(user),
    }
