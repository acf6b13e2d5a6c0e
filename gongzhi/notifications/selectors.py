"""Reads of the notifications app. A user only ever sees their own inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gongzhi.notifications.models import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from gongzhi.accounts.models import User


def inbox_for(user: User | AnonymousUser, *, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    """The user's newest notifications first (at most ``limit``); nothing for an anonymous visitor."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = Notification.objects.filter(recipient=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return list(rows.order_by("-created_at", "-id")[: max(limit, 0)])


def unread_count(user: User | AnonymousUser) -> int:
    """How many unread notifications the user has: one COUNT over a partial index (no query when anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
