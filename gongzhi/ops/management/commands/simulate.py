"""``gongzhi simulate --months 15 [--seed S]``: drive the demo district through the real case services."""

from __future__ import annotations

import json
import sys
import time
from argparse import ArgumentTypeError
from datetime import date, timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils import timezone

from gongzhi.analytics import rollup
from gongzhi.cases import catalogue, figures
from gongzhi.cases.models import Case
from gongzhi.grid import demo
from gongzhi.grid.models import Jurisdiction
from gongzhi.market import selectors as market_selectors
from gongzhi.ops.management.commands.triage import prepare_demo as prepare_triage
from gongzhi.ops.simulate import CareSimulation, MarketSimulation, Simulation, window

# The care registry's visits of the last days of the simulated stretch (each a few service calls): enough for every
# care figure, without doubling the run.
CARE_DAYS = 60


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _until(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"expected a date like 2026-11-30, got {value!r}") from None


class Command(BaseCommand):
    help = "Simulate months of requests in the demo district through the real services and print the figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=15, help="simulated months (default 15)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed for a repeatable run")
        parser.add_argument("--quiet", action="store_true", help="no progress line")
        parser.add_argument(
            "--no-market", action="store_true", help="leave the service market's days alone (see `gongzhi demo`)"
        )
        parser.add_argument(
            "--no-care", action="store_true", help="leave the care registry's visits alone (see `gongzhi demo`)"
        )
        parser.add_argument("--days", type=int, default=0, help="simulate only the first N days (for quick checks)")
        parser.add_argument(
            "--until",
            type=_until,
            default=None,
            help="the simulated months end before this date, YYYY-MM-DD (default today): same seed and date, same run",
        )

    def handle(
        self,
        *args: object,
        months: int,
        seed: int,
        quiet: bool,
        days: int = 0,
        until: date | None = None,
        no_market: bool = False,
        no_care: bool = False,
        **options: object,
    ) -> None:
        if months < 1 or months > 120:
            self.stderr.write("--months must be between 1 and 120")
            sys.exit(2)
        if until is not None and until > timezone.localdate():
            self.stderr.write(f"--until {until} is in the future: the simulated months must have passed")
            sys.exit(2)
        call_command("migrate", interactive=False, verbosity=0)  # a fresh data directory has no tables yet
        jurisdiction = Jurisdiction.objects.filter(code=demo.DEMO_CODE).first()
        if jurisdiction is None:
            self.stdout.write("No demo district yet: building it first…")
            jurisdiction = demo.build_demo(password=settings.GONGZHI_DEMO_PASSWORD).jurisdiction
        catalogue.seed(jurisdiction=jurisdiction)
        prepare_triage(jurisdiction)  # every submission goes through smart triage, as in production
        first_id = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

        def progress(day: int, days: int) -> None:
            if not quiet and (day % 15 == 0 or day == days):
                self.stdout.write(f"\r  simulated day {day}/{days}", ending="")
                self.stdout.flush()

        start, end = window(months, until)
        sim = Simulation(jurisdiction, months=months, seed=seed, start=start)
        if days:
            sim.end = min(sim.end, sim.start + timedelta(days=days))
        result = sim.run(progress=progress)
        if not quiet:
            self.stdout.write("")
        cases = Case.objects.filter(jurisdiction=jurisdiction, pk__gte=first_id)
        f = figures.headline(cases)
        rate = result.service_calls / result.wall_seconds if result.wall_seconds else 0
        split = f["level_721"]
        lines = [
            f"gongzhi simulate: {months} months of {jurisdiction.name}, seed {seed}, "
            f"{start:%Y-%m-%d} – {end - timedelta(days=1):%Y-%m-%d}" + (f" (days 1–{days} only)" if days else ""),
            f"  requests received        {f['received']:>8,}   (rejected {f['rejected']}, merged {f['merged']})",
            f"  resolved (办结率)         {f['resolved']:>8,}   {_pct(f['completion_rate'])} of those taken on",
            f"  closed                   {f['closed']:>8,}",
            f"  response rate 响应率      {_pct(f['response_rate']):>10}",
            f"  on-time rate 按期办结率   {_pct(f['on_time_rate']):>10}",
            f"  solved rate 解决率        {_pct(f['solved_rate']):>10}   of {f['rated']:,} rated",
            f"  satisfaction 满意率       {_pct(f['satisfaction_rate']):>10}",
            f"  rework rate 返工率        {_pct(f['rework_rate']):>10}",
            f"  on the spot 即时办结率    {_pct(f['on_the_spot_rate']):>10}",
            f"  found proactively 主动发现率 {_pct(f['proactive_rate']):>7}",
            f"  721: community or below {_pct(split['community_or_below'])}, street {_pct(split['street'])}, "
            f"district {_pct(split['district'])}",
            f"  wall time {result.wall_seconds:.1f} s for {result.service_calls:,} service calls ({rate:,.0f} calls/s) "
            f"on {connection.vendor}",
        ]
        for reason, count in sorted(sim.stuck.items(), key=lambda x: -x[1]):
            lines.append(f"  stuck: {count} case(s) left after repeated refusals: {reason}")
        market: dict[str, object] = {}
        if not no_market:
            market = self._market(jurisdiction, seed, lines)
        care: dict[str, object] = {}
        if not no_care:
            last = timezone.localdate(end - timedelta(days=1))
            care = self._care(jurisdiction, seed, last, min(days or CARE_DAYS, CARE_DAYS), lines)
        # The dashboard's rollups, as the worker would keep them (timed apart from the engines' wall time), once the
        # market and care have run too: a care visit that finds a problem files a case of its own.
        began = time.perf_counter()
        rollup.catch_up()
        rollup_seconds = time.perf_counter() - began
        lines.append(f"  dashboard rollups caught up in {rollup_seconds:.1f} s")
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(
            json.dumps(
                {
                    "months": months,
                    "seed": seed,
                    "wall_seconds": round(result.wall_seconds, 2),
                    "service_calls": result.service_calls,
                    "rollup_seconds": round(rollup_seconds, 2),
                    "stuck": sum(sim.stuck.values()),
                    **f,
                    **({"market": market} if market else {}),
                    **({"care": care} if care else {}),
                },
                ensure_ascii=False,
            )
        )

    def _market(self, jurisdiction: Jurisdiction, seed: int, lines: list[str]) -> dict[str, object]:
        """The market days built by `gongzhi demo` that have no booking yet, played at the practice's volume: the
        past ones booked, served and closed, the next few booked. Adds its lines; returns its figures."""
        from gongzhi.analytics import formulas
        from gongzhi.market.models import Event

        sim = MarketSimulation(jurisdiction, seed=seed)
        if not sim.events:
            return {}
        result = sim.run()
        played = Event.objects.filter(pk__in=[e.pk for e in sim.events])
        rows = formulas.market(formulas.market_bookings(market_selectors.figure_rows(played)))
        c = result.counts
        refused = sum(v for k, v in c.items() if k.startswith("refused:"))
        lines += [
            f"  market: {result.events} market days, {c['booked']:,} booked, {c['waitlisted']:,} wait-listed "
            f"({c['promoted']} promoted), {c['cancelled']:,} cancelled, {refused} refused (double bookings …)",
            f"  market: served {rows.served:,} ({rows.walk_ups} walk-ups, {rows.served_60:,} aged 60+), "
            f"no-shows {rows.no_shows} ({_pct(rows.no_show_rate)}), ages corrected at the stall "
            f"{c['age_corrected']}, subsidy ¥{rows.subsidy}, residents paid ¥{rows.paid}; "
            f"{result.wall_seconds:.1f} s",
        ]
        return {
            "events": result.events,
            **{k.replace(":", "_"): v for k, v in sorted(c.items())},
            "served": rows.served,
            "served_60": rows.served_60,
            "no_show_rate": rows.no_show_rate,
            "subsidy": str(rows.subsidy),
            "wall_seconds": round(result.wall_seconds, 2),
        }

    def _care(
        self, jurisdiction: Jurisdiction, seed: int, last: date, span: int, lines: list[str]
    ) -> dict[str, object]:
        """The care registry's last ``span`` days of visits (the registry is built as of their first day when the
        district has none yet, by `gongzhi demo`'s ops.demo_care): stewards visit, some late, some filing cases.
        Adds its lines; returns its figures (formulas.care, the one definition)."""
        from gongzhi.analytics import formulas
        from gongzhi.analytics import selectors as analytics_selectors
        from gongzhi.care.models import Household
        from gongzhi.grid.models import GridNode
        from gongzhi.ops import demo_care

        first = last - timedelta(days=span - 1)
        if not Household.objects.filter(jurisdiction=jurisdiction).exists():
            demo_care.build(jurisdiction, seed=seed, today=first)
        root = GridNode.objects.filter(jurisdiction=jurisdiction, parent__isnull=True).order_by("pk").first()
        if root is None:
            return {}
        result = CareSimulation(jurisdiction, seed=seed, first=first, last=last).run()
        figures = formulas.care(
            analytics_selectors.care_residents(root),
            analytics_selectors.care_visits(root, first=first, last=last),
            today=last,
        )
        c = result.counts
        lines += [
            f"  care: {result.days} working days {first} – {last}: {figures.visits:,} visits made "
            f"({_pct(figures.on_time_share)} on time), {figures.not_home} nobody at home, {c['put_off']:,} put off; "
            f"{c['problem_cases']} problems and {c['help_cases']} assistance applications filed as cases; "
            f"{figures.in_care:,} residents in care, {figures.overdue} overdue at the end; {result.wall_seconds:.1f} s",
        ]
        return {
            "days": result.days,
            "visits": figures.visits,
            "on_time_share": figures.on_time_share,
            "not_home": figures.not_home,
            "problem_cases": c["problem_cases"],
            "help_cases": c["help_cases"],
            "in_care": figures.in_care,
            "overdue": figures.overdue,
            "wall_seconds": round(result.wall_seconds, 2),
        }
