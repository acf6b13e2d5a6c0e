"""``gongzhi selfcheck``: database, migrations, production settings, keys, worker and disk, after a deploy or an
upgrade (``ops.selfcheck``; docs/upgrading.md). Exit 1 when a check fails; ``--json`` for monitoring."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gongzhi.ops import selfcheck

CHECKS = ("database", "replica", "migrations", "settings", "keys", "worker", "backup", "disk")


class Command(BaseCommand):
    help = (
        "Check that this installation is fit to serve: database reachable and its version, no migration pending, "
        "production settings (Django's check --deploy), field keys decrypt stored data, a worker alive, free disk. "
        "Exits 1 when something is wrong."
    )
    requires_system_checks: list[str] = []  # it runs them itself, and reports them instead of stopping

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object (for monitoring)")
        parser.add_argument("--strict", action="store_true", help="fail on warnings too")
        parser.add_argument(
            "--min-free-mb", type=int, default=1024, help="least free space in the data dir and media folder (1024)"
        )
        parser.add_argument("--skip", action="append", choices=CHECKS, default=[], help="leave a check out")

    def handle(self, *args: Any, **options: Any) -> None:
        findings = selfcheck.run(min_free_mb=options["min_free_mb"], skip=frozenset(options["skip"]))
        summary = selfcheck.as_json(findings)
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            for finding in findings:
                self.stdout.write(f"{finding.status.upper():8} {finding.check:11} {finding.message}")
            self.stdout.write(
                f"{summary['errors']} error(s), {summary['warnings']} warning(s): "
                + ("fit to serve" if summary["ok"] else "NOT fit to serve")
            )
        failed = not summary["ok"] or (options["strict"] and summary["warnings"])
        if failed:
            sys.exit(1)
