"""Time helpers: UTC in the database, the configured zone (Asia/Shanghai) for display."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def local_today() -> date:
    return timezone.localdate()
