"""``gongzhi worker``: the periodic jobs of a gongzhi site, plus the background-task runner.

Every ``--tick`` seconds it sends queued text messages (GONGZHI_SMS_DELIVERY=worker; with ``commit`` there are none:
the retry sweep picks up what a stopped process left behind), every ``--retry-every`` seconds it retries failed ones
with back-off, every ``--sweep-every`` seconds it runs the deadline sweep (warnings, 督办 on breach, escalation,
closing unrated cases), the market's jobs (reminders the day before, no-shows of past days) and the care registry's
(the visitors' daily reminder of visits overdue or due, the retention rule), deliberation's (votes closed at
their closing time, new notices texted to their buildings' subscribers), and the people of the grid's (the stewards'
assessment of the previous month from the 1st, once; problems taken on at leaders' contact points marked solved when
their case is resolved or closed).
Background tasks (django.tasks, e.g. Excel imports) run in a ``db_worker`` child process it starts and stops.
``gongzhi run`` starts one worker next to the web server. ``--once`` runs each job once and exits (cron, tests).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from gongzhi.analytics import rollup as analytics
from gongzhi.api import webhooks
from gongzhi.care import tasks as care
from gongzhi.cases import services as cases
from gongzhi.deliberation import tasks as deliberation
from gongzhi.market import services as market
from gongzhi.notifications import services as notifications
from gongzhi.ops import assessment, care_jobs, heartbeat

log = logging.getLogger("gongzhi.worker")


class Command(BaseCommand):
    help = (
        "Send queued text messages, retry failed ones, run the deadline sweep and the market's reminders and "
        "no-shows, and run background tasks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tick", type=float, default=2.0, help="seconds between text-message batches (2)")
        parser.add_argument("--retry-every", type=float, default=60.0, help="seconds between SMS retry sweeps (60)")
        parser.add_argument("--sweep-every", type=float, default=300.0, help="seconds between deadline sweeps (300)")
        parser.add_argument("--rating-days", type=int, default=7, help="close resolved cases unrated after N days")
        parser.add_argument("--no-tasks", action="store_true", help="do not start the background-task runner")
        parser.add_argument("--once", action="store_true", help="run every job once, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs: list[tuple[str, float, Callable[[], object]]] = [
            ("sms", options["tick"], notifications.deliver_queued),
            ("sms-retry", options["retry_every"], notifications.retry_failed),
            ("sweep", options["sweep_every"], lambda: cases.sweep(rating_days=options["rating_days"])),
            ("webhooks", options["tick"], webhooks.deliver_webhooks),  # partners' status-change webhooks, with back-off
            ("analytics", options["tick"], analytics.catch_up),  # fold new case events into the dashboard rollups
            # The market: an SMS the day before to each confirmed booking (once), and no-shows for past days whose
            # stalls did not close their day.
            ("market-reminders", options["sweep_every"], market.send_reminders),
            ("market-no-shows", options["sweep_every"], market.mark_no_shows),
            # The care registry: each visitor's reminder of the visits overdue or due today (once a day, in the
            # inbox), and the retention rule (residents who moved away long ago erased, their cases anonymised).
            ("care-reminders", options["sweep_every"], care.send_visit_reminders),
            ("care-retention", options["sweep_every"], care_jobs.apply_retention),
            # Deliberation: votes closed and counted at their closing time; new notices texted to the subscribers of
            # their buildings (each once).
            ("votes-close", options["tick"] * 15, deliberation.close_due_votes),
            ("notice-texts", options["tick"], deliberation.send_notice_texts),
            # The people of the grid: the stewards' monthly assessment (考核) of the previous month, from the 1st, once
            # per district; problems taken on at leaders' contact points refreshed from their cases.
            ("stewards-assessment", options["sweep_every"], assessment.monthly_assessment),
            ("taken-on-refresh", options["sweep_every"], assessment.refresh_taken_on),
            ("heartbeat", heartbeat.EVERY_SECONDS, heartbeat.beat),  # `gongzhi selfcheck` sees the worker alive
        ]
        if options["once"]:
            for name, _every, job in jobs:
                self.stdout.write(f"{name}: {job()}")
            return
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        runner = None
        if not options["no_tasks"]:
            runner = subprocess.Popen([sys.executable, "-m", "gongzhi", "db_worker", "--interval", "2"])
        self.stdout.write(
            "gongzhi worker: text messages every {tick:g} s, retries every {retry_every:g} s, deadline sweep every "
            "{sweep_every:g} s{tasks}; Ctrl-C to stop".format(
                tasks="" if runner is None else ", background tasks in a db_worker", **options
            )
        )
        due = dict.fromkeys((name for name, _every, _job in jobs), 0.0)
        try:
            while not stopping:
                now = time.monotonic()
                for name, every, job in jobs:
                    if now >= due[name]:
                        due[name] = now + every
                        try:
                            job()
                        except Exception:  # one failing job must not stop the others; it is tried again later
                            log.exception("worker job %s failed", name)
                        finally:
                            close_old_connections()
                time.sleep(max(0.05, min(due.values()) - time.monotonic()))
        finally:
            if runner is not None:
                runner.terminate()
                try:
                    runner.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    runner.kill()
