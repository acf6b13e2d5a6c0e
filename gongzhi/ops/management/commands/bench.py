"""``gongzhi bench NAME [options]``: run one benchmark from ``gongzhi.ops.benchmarks``.

Each benchmark is a sub-command with its own options (``gongzhi bench geo --points 200000 --seed 1``); the last line
printed is one JSON object with the figures. ``--strict`` makes a missed budget a non-zero exit status.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.ops import benchmarks


class Command(BaseCommand):
    help = "Run a benchmark and print its figures; the last line is one JSON object with the same figures."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="benchmark", metavar="NAME", required=True)
        for name, bench in benchmarks.registry().items():
            sub = subparsers.add_parser(name, help=bench.help, description=bench.help)
            if bench.add_arguments is not None:
                bench.add_arguments(sub)
            sub.add_argument("--strict", action="store_true", help="exit with status 1 when a budget is missed")

    def handle(self, *args: Any, benchmark: str, **options: Any) -> None:
        bench = benchmarks.registry().get(benchmark)
        if bench is None:  # argparse already refuses unknown names; this guards direct calls
            raise CommandError(f"unknown benchmark {benchmark!r}")
        figures = bench.run(self.stdout, options)
        if options.get("strict") and figures.get("pass") is False:
            raise CommandError(f"bench {benchmark}: a budget was missed", returncode=1)
