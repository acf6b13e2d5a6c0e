"""What every console page shows a signed-in staff member: the navigation, the unread badge and the near-deadline
banner."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from gongzhi.console import navigation, selectors
from gongzhi.notifications import selectors as inbox


def console(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def bench() -> selectors.Workbenches:
        return selectors.workbenches(user)

    def nav() -> navigation.Navigation:
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else ""
        return navigation.build(bench(), view=view, namespace=match.namespace if match is not None else "")

    # Lazy: pages that never render the top bar (JSON, files) never pay for the queries.
    return {
        "console_unread": lambda: inbox.unread_count(user),
        "console_near_breach": lambda: selectors.near_breach(user).order_by().count(),
        "console_bench": bench,
        "console_nav": nav,
    }
