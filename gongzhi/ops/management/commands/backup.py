"""``gongzhi backup PATH``: the database, media files and keys, with a manifest, checked after writing
(``ops.backup``; docs/deploying.md "Backups")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.ops import backup


class Command(BaseCommand):
    # The system checks query the database (SQLite's JSON support among them): under a busy writer, or before a
    # restore has put the database back, they can fail for reasons a backup or a restore does not depend on.
    requires_system_checks: list[str] = []
    help = (
        "Back up the database (SQLite online with its backup API; PostgreSQL with pg_dump -Fc), the media files and "
        "the keys into PATH: a new folder, or an archive named .tar or .tar.gz."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a new folder, or an archive file ending in .tar or .tar.gz")
        parser.add_argument(
            "--without-keys",
            action="store_true",
            help="leave the field-encryption, blind-index and secret keys out (keep them elsewhere: the backup is "
            "unreadable without them)",
        )

    def handle(self, *args: Any, path: Path, without_keys: bool, **options: Any) -> None:
        try:
            report = backup.backup(path, include_keys=not without_keys, progress=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(f"Backup refused: {exc}") from exc
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(f"Took {report.seconds:.1f} s.")
        for warning in report.warnings:
            self.stderr.write(warning)
