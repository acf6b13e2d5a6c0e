"""``gongzhi daily_report``: 日清日结 — what was due by the end of a day and not resolved, per grid node."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gongzhi.cases import selectors
from gongzhi.grid.models import GridNode


class Command(BaseCommand):
    help = "List cases due by the end of the day that were not resolved (日清日结), for a grid node's subtree."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--node", required=True, help="code of the grid node (e.g. DEMO, S01C01)")
        parser.add_argument("--jurisdiction", default="demo", help="jurisdiction code (default demo)")
        parser.add_argument("--date", default="", help="day as YYYY-MM-DD (default today, local time)")

    def handle(self, *args: object, node: str, jurisdiction: str, date: str, **options: object) -> None:
        try:
            day = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date: expected YYYY-MM-DD, got {date!r}") from None
        place = GridNode.objects.filter(jurisdiction__code=jurisdiction, code=node).first()
        if place is None:
            raise CommandError(f"no grid node {node!r} in jurisdiction {jurisdiction!r}")
        rows = selectors.daily_clearance(place, day)
        overdue = sum(r.overdue for r in rows)
        self.stdout.write(f"{place.name} {day:%Y-%m-%d}: {len(rows)} not cleared ({overdue} carried over from earlier)")
        for row in rows:
            case = row.case
            handler = case.handler_user or case.handler_department or case.handler_node or case.owner_node
            due = timezone.localtime(case.resolve_due)
            mark = "!" if row.overdue else " "
            self.stdout.write(
                f" {mark} {case.tracking_code}  due {due:%m-%d %H:%M}  {case.get_status_display():<8} "
                f"{handler}  {case.title}"
            )
