"""``gongzhi assess --month 2026-11 | --quarter 2026-Q4 [--node CODE] [--jurisdiction demo] [--dry-run]``: the
stewards' monthly or quarterly assessment (考核) from measured facts (``gongzhi.ops.assessment``). Prints a table, best
first, and ends with one JSON line of counts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.analytics.formulas import STEWARD_MIN_SAMPLE
from gongzhi.grid.models import GridNode
from gongzhi.ops import assessment


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"


class Command(BaseCommand):
    help = "Assess the stewards of a month from measured facts (cases, ratings, visits, hours), score and rank them."

    def add_arguments(self, parser: CommandParser) -> None:
        period = parser.add_mutually_exclusive_group(required=True)
        period.add_argument("--month", help="the month as YYYY-MM")
        period.add_argument("--quarter", help="the quarter as YYYY-Qn (2026-Q4)")
        parser.add_argument("--node", default="", help="code of the grid node (default: the district's root)")
        parser.add_argument("--jurisdiction", default="demo", help="jurisdiction code (default demo)")
        parser.add_argument("--min-sample", type=int, default=STEWARD_MIN_SAMPLE, help="minimum sample to be ranked")
        parser.add_argument("--dry-run", action="store_true", help="compute and print, store nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["quarter"]:
                first_day, last_day = assessment.quarter_period(options["quarter"])
            else:
                first_day, last_day = assessment.month_period(options["month"])
        except ValueError:
            given = options["quarter"] or options["month"]
            raise CommandError(f"--month YYYY-MM or --quarter YYYY-Qn, got {given!r}") from None
        nodes = GridNode.objects.filter(jurisdiction__code=options["jurisdiction"])
        place = nodes.filter(code=options["node"]).first() if options["node"] else nodes.filter(parent=None).first()
        if place is None:
            raise CommandError(f"no grid node {options['node'] or '(root)'!r} in {options['jurisdiction']!r}")
        if options["min_sample"] < 0:
            raise CommandError("--min-sample: expected 0 or more")
        rows = assessment.assess(
            place,
            first_day=first_day,
            last_day=last_day,
            min_sample=options["min_sample"],
            save=not options["dry_run"],
        )
        label = options["quarter"].upper() if options["quarter"] else f"{first_day:%Y-%m}"
        self.stdout.write(f"{place.name} {label}: {len(rows)} stewards")
        self.stdout.write(
            f"{'rank':>4}  {'score':>5}  {'steward':<12} {'micro-grid':<14} {'days':>4} {'rep':>3} "
            f"{'resp':>6} {'resol':>6} {'satisf':>6} {'visits':>6} {'hours':>6} sample"
        )
        for a in rows:
            f = a.facts
            rank = f"{a.rank}/{a.ranked_among}" if a.rank else "-"
            score = str(a.score) if a.score is not None else "-"
            name = a.steward.user.display_name or a.steward.user.username
            self.stdout.write(
                f"{rank:>4}  {score:>5}  {name[:12]:<12} {a.steward.node.name[:14]:<14} {a.window.days:>4} "
                f"{f.reported:>3} {_ratio(f.accepted_on_time, f.accepted):>6} "
                f"{_ratio(f.resolved_on_time, f.resolved):>6} {_ratio(f.satisfied, f.rated):>6} "
                f"{f.visits:>6} {f.hours:>6} {f.sample}" + ("" if a.steward.kind == "steward" else "  (part-time)")
            )
        summary = {"period": label, "node": place.code, "saved": not options["dry_run"]}
        summary.update(assessment.counts(rows))
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
