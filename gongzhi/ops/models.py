"""What operations keep in the database: the worker's heartbeat (``ops.heartbeat``), read by ``gongzhi selfcheck``.

Not translated: nobody sees it but the operator (the admin does not list it).
"""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a ``gongzhi worker`` ran its loop, one row per worker (host and process)."""

    worker = models.CharField("worker", max_length=200, unique=True)
    beat_at = models.DateTimeField("last beat")
    started_at = models.DateTimeField("started at")

    class Meta:
        verbose_name = "worker heartbeat"
        verbose_name_plural = "worker heartbeats"

    def __str__(self) -> str:
        return f"{self.worker} {self.beat_at:%Y-%m-%d %H:%M:%S}"
