"""``gongzhi sweep``: the periodic deadline sweep (run it every few minutes from cron or the worker host)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from gongzhi.cases import services


class Command(BaseCommand):
    help = "Warn before deadlines, issue 督办 notices on breach, escalate after the grace period, close unrated cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rating-days", type=int, default=7, help="close resolved cases unrated after N days")

    def handle(self, *args: object, rating_days: int, **options: object) -> None:
        counts = services.sweep(rating_days=rating_days)
        self.stdout.write(", ".join(f"{key} {value}" for key, value in counts.items()))
