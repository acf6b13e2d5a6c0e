"""``gongzhi restore PATH``: a backup made by ``gongzhi backup`` into this site's (empty) database, media folder and
data directory, after checking all of it (``ops.backup``; docs/deploying.md "Restore")."""

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
        "Restore a backup (a folder or .tar/.tar.gz made by `gongzhi backup`) into this site's database, media folder "
        "and data directory. Refuses a non-empty target unless --force. Stop the site and the worker first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup: a folder, or a .tar / .tar.gz archive")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that holds data (and the media folder, kept aside as media.before-restore-…)",
        )
        parser.add_argument(
            "--keys",
            type=Path,
            metavar="DIR",
            help="a folder holding the keys (field_keys, blind_index_key, secret_key) for a backup made --without-keys",
        )

    def handle(self, *args: Any, path: Path, force: bool, keys: Path | None, **options: Any) -> None:
        try:
            report = backup.restore(path, force=force, keys_dir=keys, progress=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(f"Restore refused: {exc}") from exc
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(f"Took {report.seconds:.1f} s.")
        for warning in report.warnings:
            self.stderr.write(f"Note: {warning}")
