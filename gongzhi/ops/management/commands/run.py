"""``gongzhi run``: serve gongzhi with the production WSGI server (granian), static files included, and start one
``gongzhi worker`` beside it (text messages, deadline sweep, background tasks) unless told not to.

How it serves (measured; docs/configuration.md "Serving" has the figures): HTTP/1.1 only, each worker holding up to
GONGZHI_BACKPRESSURE connections open — idle keep-alive connections included, so the default is far above the
connections a district's phones and desks keep open — and running Django in GONGZHI_THREADS threads. An idle or silent
connection is closed after GONGZHI_KEEPALIVE_TIMEOUT seconds.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

# File descriptors a worker needs beside its connections (database, static files, logs, the listening socket …).
SPARE_FILES = 64


def raise_open_files_limit(wanted: int) -> tuple[int, int]:
    """Raise this process's soft limit on open files towards ``wanted`` (never above the hard limit, never down); the
    server's workers inherit it. Many systems start services at 1,024, fewer than the connections a worker may hold.
    Returns the (soft, hard) limits now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft, hard


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
        config = settings.CONFIG
        soft, _hard = raise_open_files_limit(config.backpressure + SPARE_FILES)
        if soft != resource.RLIM_INFINITY and soft < config.backpressure + SPARE_FILES:
            self.stderr.write(
                f"Warning: open files are limited to {soft} per process (ulimit -n), fewer than GONGZHI_BACKPRESSURE "
                f"({config.backpressure}) connections need; raise the limit (LimitNOFILE= in a systemd unit)"
            )
        self.stdout.write(
            f"gongzhi serving on http://{host}:{port}/ with {workers} worker(s) × {config.threads} thread(s), up to "
            f"{config.backpressure} connections each; Ctrl-C to stop"
        )
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
        from granian.constants import HTTPModes, Interfaces
        from granian.http import HTTP1Settings
        from granian.server import Server

        config = settings.CONFIG
        Server(
            "gongzhi.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            # HTTP/1.1 only: in "auto" mode granian waits, without any timeout, for a new connection's first bytes to
            # tell HTTP/1 from HTTP/2, so a connection that sends nothing (a browser's preconnect) held a connection
            # slot for ever. Browsers speak HTTP/2 only over TLS, which a proxy in front terminates.
            http=HTTPModes.http1,
            # Connections a worker holds at once. An idle keep-alive connection holds its slot until it is closed, so
            # this is far above the connections expected (4 froze the site for 30 s behind 8 idle phones).
            backpressure=config.backpressure,
            # Python threads running Django per worker (granian's default, half the backpressure, is far too many).
            blocking_threads=config.threads,
            http1_settings=HTTP1Settings(
                # The time a client has to send a request's headers, from connecting or since its last answer: it
                # closes idle keep-alive connections and connections that send nothing.
                header_read_timeout=round(config.keepalive_timeout * 1000),
                keep_alive=True,
            ),
            log_access=False,
        ).serve()
