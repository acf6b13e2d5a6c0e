"""Thin django.tasks entry points for the worker (``db_worker``): take ids, call a service."""

from __future__ import annotations

from django.tasks import task

from gongzhi.notifications import services


@task()
def deliver_sms_task(sms_id: int) -> str | None:
    """Send one queued or failed text message; returns its status (None when it no longer exists)."""
    sms = services.deliver(sms_id)
    return None if sms is None else sms.status


@task()
def retry_failed_task(max_attempts: int = 5) -> int:
    """The retry sweep: returns how many messages were tried."""
    return services.retry_failed(max_attempts=max_attempts)
