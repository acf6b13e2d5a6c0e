"""``gongzhi analytics catch-up|rebuild``: fold new case events into the rollups now, or rebuild them from the cases.

The worker runs the catch-up every tick; ``rebuild`` is for a first deployment on existing cases or after a change of
formulas. The last line is one JSON object (cases refreshed, seconds).
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gongzhi.analytics import rollup


class Command(BaseCommand):
    help = "Bring the command-centre rollups up to date (catch-up) or recompute them from the cases (rebuild)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["catch-up", "rebuild"])
        parser.add_argument("--batch", type=int, default=rollup.BATCH, help=f"ids per step ({rollup.BATCH})")

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.perf_counter()
        if options["action"] == "rebuild":
            n = rollup.rebuild(chunk=options["batch"])
        else:
            n = rollup.catch_up(batch=options["batch"])
        seconds = round(time.perf_counter() - began, 3)
        self.stdout.write(f"{options['action']}: {n} cases refreshed in {seconds} s")
        self.stdout.write(json.dumps({"action": options["action"], "cases": n, "seconds": seconds}))
