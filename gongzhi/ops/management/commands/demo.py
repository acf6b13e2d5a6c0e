"""``gongzhi demo``: build (or complete) the demo district — grid, staff, catalogue, triage, service points and a few
months of simulated activity — and print the logins."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from gongzhi.accounts import login
from gongzhi.cases import catalogue
from gongzhi.core import prepared
from gongzhi.grid import demo
from gongzhi.grid.choices import Role
from gongzhi.open311 import keys as open311_keys
from gongzhi.ops import demo as demo_activity
from gongzhi.ops import demo_care, demo_deliberation, demo_lists, demo_market, demo_people
from gongzhi.ops.management.commands.triage import prepare_demo as prepare_triage


class Command(BaseCommand):
    help = (
        "Build the demo district (idempotent: a second run adds only what is missing), with service points and a few "
        "months of simulated activity, and print the logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", default=None, help="password for every demo user (default GONGZHI_DEMO_PASSWORD)"
        )
        parser.add_argument(
            "--months",
            type=int,
            default=demo_activity.HISTORY_MONTHS,
            help=f"months of simulated activity up to today when the district has no cases yet; 0 for none "
            f"(default {demo_activity.HISTORY_MONTHS})",
        )

    def handle(self, *args: object, password: str | None, months: int, **options: object) -> None:
        if not 0 <= months <= 24:
            self.stderr.write("--months must be between 0 and 24")
            raise SystemExit(2)
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)  # a fresh data directory has no tables yet
        password = password or settings.GONGZHI_DEMO_PASSWORD
        result = demo.build_demo(password=password)
        prepared.refresh_statistics()  # a district's worth of rows, maybe in the caller's one transaction
        created = {**result.created, **catalogue.seed(jurisdiction=result.jurisdiction)}
        created.update(prepare_triage(result.jurisdiction))
        created["stations"] = demo_activity.service_points(result.jurisdiction)
        lists_started = time.perf_counter()
        created.update({f"list {k}": v for k, v in demo_lists.build(result.jurisdiction).items()})
        lists_seconds = time.perf_counter() - lists_started
        market_started = time.perf_counter()
        created.update({f"market {k}": v for k, v in demo_market.build(result.jurisdiction).items()})
        market_seconds = time.perf_counter() - market_started
        care_started = time.perf_counter()
        created.update({f"care {k}": v for k, v in demo_care.build(result.jurisdiction).items()})
        care_seconds = time.perf_counter() - care_started
        # The simulated history runs before the demos that file cases of their own (deliberation, the stewards'
        # reports): it fills a district that has none yet.
        history = demo_activity.history(result.jurisdiction, months=months) if months else None
        prepared.refresh_statistics()
        deliberation_started = time.perf_counter()
        created.update({f"deliberation {k}": v for k, v in demo_deliberation.build(result.jurisdiction).items()})
        deliberation_seconds = time.perf_counter() - deliberation_started
        people_started = time.perf_counter()
        created.update({f"people {k}": v for k, v in demo_people.build(result.jurisdiction).items()})
        people_seconds = time.perf_counter() - people_started
        summary = ", ".join(f"{k} +{v}" for k, v in created.items())
        self.stdout.write(
            f"Demo district {result.jurisdiction.name} ({result.jurisdiction.code}) ready in "
            f"{time.perf_counter() - started:.1f} s (the lists {lists_seconds:.2f} s, the market "
            f"{market_seconds:.2f} s, the care registry {care_seconds:.2f} s, deliberation "
            f"{deliberation_seconds:.2f} s, the people of the grid {people_seconds:.2f} s): {summary}"
        )
        if history is not None:
            if history["cases"]:
                self.stdout.write(
                    f"Simulated activity {history['first_day']} – {history['last_day']}: {history['cases']:,} "
                    f"requests ({history['published']:,} published on the board) in {history['seconds']:.1f} s; "
                    "its text messages went nowhere (simulated)"
                )
            market = demo_market.simulate(result.jurisdiction)
            if market["events"]:
                self.stdout.write(
                    f"Simulated market: {market['events']} market days, {market.get('booked', 0):,} bookings "
                    f"({market.get('waitlisted', 0)} on waiting lists), {market.get('checked_in', 0):,} checked in, "
                    f"{market.get('walk_ups', 0)} walk-ups, {market.get('no_shows', 0)} no-shows in "
                    f"{market['seconds']:.1f} s"
                )
        self.stdout.write("")
        self.stdout.write(_("Demo logins (password: %(password)s)") % {"password": password})
        for username, role, where in result.logins:
            self.stdout.write(f"  {username:<8} {Role(role).label:<12} {where}")
        self.stdout.write(
            "  "
            + _(
                "Also: jd01–jd04 streets, sq01–sq17 communities, wg001–wg115 grid workers, "
                "gj0001–gj0988 stewards, bm01–bm%(n)02d departments"
            )
            % {"n": result.jurisdiction.departments.count()}
        )
        self.stdout.write(
            _("Open311 demo api_key (POST /open311/v2/requests.json): %(key)s")
            % {"key": open311_keys.demo_key(jurisdiction=result.jurisdiction)}
        )
        if not settings.GONGZHI_DEMO and login.is_demo_password(password):
            self.stdout.write(
                _(
                    "Note: GONGZHI_DEMO is off, so these logins are refused (the demo password only logs in in demo "
                    "mode; `make run` turns it on). Start the server with GONGZHI_DEMO=true to try them."
                )
            )
