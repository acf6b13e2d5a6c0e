"""``gongzhi run``: serve gongzhi with the production WSGI server (granian), static files included, and start one
``gongzhi worker`` beside it (text messages, deadline sweep, background tasks) unless told not to."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve gongzhi with the production server (granian WSGI); static files are served by WhiteNoise."

    def add_arguments(self, parser: CommandParser) -> None:
        config = settings.CONFIG
        parser.add_argument("--host", default=config.host, help="address to listen on (GONGZHI_HOST)")
        parser.add_argument("--port", type=int, default=config.port, help="port to listen on (GONGZHI_PORT)")
        parser.add_argument(
            "--workers", type=int, default=config.workers, help="worker processes; 0 = one per core (GONGZHI_WORKERS)"
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start `gongzhi worker` (run it elsewhere, e.g. systemd)"
        )

    def handle(self, *args: object, host: str, port: int, workers: int, no_worker: bool, **options: object) -> None:
        if not (settings.STATIC_ROOT / "staticfiles.json").exists():
            self.stdout.write("Collecting static files (first run)…")
            call_command("collectstatic", interactive=False, verbosity=0)
        workers = workers or os.cpu_count() or 1
        self.stdout.write(f"gongzhi serving on http://{host}:{port}/ with {workers} worker(s); Ctrl-C to stop")
        background = None if no_worker else subprocess.Popen([sys.executable, "-m", "gongzhi", "worker"])
        try:
            self._serve(host, port, workers)
        finally:
            if background is not None:
                background.terminate()
                try:
                    background.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    background.kill()

    def _serve(self, host: str, port: int, workers: int) -> None:
        from granian.constants import Interfaces
        from granian.server import Server

        Server(
            "gongzhi.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            # Bounded concurrency per worker: granian's default thread setting is much slower for Django reads.
            backpressure=settings.CONFIG.backpressure,
            blocking_threads=1,
            log_access=False,
        ).serve()
