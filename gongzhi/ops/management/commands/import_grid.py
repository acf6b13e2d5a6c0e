"""``gongzhi import_grid``: import a real grid from an Excel workbook (+ GeoJSON boundaries); see docs/importing.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.core.errors import ImportRejected
from gongzhi.grid import importers


class Command(BaseCommand):
    help = (
        "Import a grid (nodes, departments, compounds, buildings, staff) from an .xlsx workbook and optional GeoJSON "
        "boundaries into one jurisdiction. All or nothing: on any problem every error is listed and nothing is "
        "written. `--template OUT.xlsx` writes an empty workbook to fill in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jurisdiction", metavar="CODE", help="jurisdiction code (created when missing)")
        parser.add_argument("--name", default="", help="jurisdiction name, used when it is created")
        parser.add_argument("--workbook", metavar="FILE.xlsx", type=Path, help="the grid workbook")
        parser.add_argument("--boundaries", metavar="FILE.geojson", type=Path, help="GeoJSON node boundaries")
        parser.add_argument("--dry-run", action="store_true", help="check and count everything, write nothing")
        parser.add_argument("--template", metavar="OUT.xlsx", type=Path, help="write an empty workbook and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        template: Path | None = options["template"]
        if template is not None:
            if options["workbook"] or options["boundaries"]:
                raise CommandError("--template writes an empty workbook; it does not take --workbook/--boundaries")
            try:
                importers.write_template(template)
            except OSError as exc:
                raise CommandError(f"cannot write {template}: {exc.strerror or exc}") from None
            self.stdout.write(f"Wrote the grid import template to {template}")
            return
        if not options["jurisdiction"] or options["workbook"] is None:
            raise CommandError("give --jurisdiction CODE and --workbook FILE.xlsx (or --template OUT.xlsx)")
        try:
            result = importers.import_grid(
                jurisdiction=options["jurisdiction"],
                name=options["name"],
                workbook=options["workbook"],
                boundaries=options["boundaries"],
                dry_run=options["dry_run"],
            )
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} problem(s) found; nothing was imported.", returncode=1) from None
        self._report(result)

    def _report(self, result: importers.ImportResult) -> None:
        dry = result.dry_run
        created = " (would be created)" if dry and result.jurisdiction_created else ""
        created = created or (" (created)" if result.jurisdiction_created else "")
        self.stdout.write(f"Jurisdiction {result.jurisdiction}{created}")
        for kind, counts in result.counts.items():
            numbers = f"{counts.created:>6} created  {counts.updated:>6} updated  {counts.unchanged:>6} unchanged"
            self.stdout.write(f"  {kind:<12} {numbers}")
        if result.boundary_version_bumped:
            later = " (on a real run)" if dry else ""
            self.stdout.write(f"  boundaries changed: the geo index will be rebuilt{later}")
        if dry:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS("Import complete."))
