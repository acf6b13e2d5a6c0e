"""Background tasks of the console (django.tasks; run by `gongzhi db_worker`). Thin: an id in, the import runs."""

from __future__ import annotations

from django.tasks import task

from gongzhi.console import imports


@task()
def import_task(job_id: int) -> str:
    """Run one uploaded Excel import; the job row records progress and the outcome."""
    return imports.run(job_id).status
