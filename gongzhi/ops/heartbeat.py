"""The worker's heartbeat: ``gongzhi worker`` writes one row every half minute (a job in its loop), and
``gongzhi selfcheck`` says a worker is alive when a row is recent. Rows of workers that stopped long ago are removed.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.utils import timezone

from gongzhi.ops.models import WorkerHeartbeat

EVERY_SECONDS = 30.0
# A worker is taken for dead after this long without a beat (a busy sweep may hold its loop for a while).
STALE_AFTER = timedelta(minutes=5)
FORGET_AFTER = timedelta(days=7)

_started = timezone.now()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat() -> str:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker=worker_name(), defaults={"beat_at": now}, create_defaults={"beat_at": now, "started_at": _started}
    )
    WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
    return worker_name()


def latest() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-beat_at").first()
