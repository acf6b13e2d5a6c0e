"""Background tasks of the case engine (django.tasks; run by `gongzhi db_worker`). Thin: ids in, a service call."""

from __future__ import annotations

from django.tasks import task

from gongzhi.cases import services


@task()
def sweep_task() -> dict[str, int]:
    """Deadline warnings, automatic 督办 and escalation, closing unrated cases. Schedule it every few minutes."""
    return services.sweep()
