"""``gongzhi retry_sms``: the SMS retry sweep, for cron or the worker loop (same as ``retry_failed_task``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from gongzhi.notifications import services


class Command(BaseCommand):
    help = "Retry text messages that failed or were never delivered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-attempts", type=int, default=5, help="give up after this many attempts")

    def handle(self, *args: object, max_attempts: int, **options: object) -> None:
        tried = services.retry_failed(max_attempts=max_attempts)
        self.stdout.write(f"{tried} message(s) tried")
