"""``gongzhi triage``: the triage model of a jurisdiction — train from closed cases, evaluate on any labelled CSV,
list versions, roll back; ``demo`` trains the starting model on generated text, ``places`` refreshes the place names
the text matcher knows.

    gongzhi triage train [--jurisdiction CODE] [--min-samples N]
    gongzhi triage eval --data FILE.csv [--folds 5] [--extra MORE.csv]
    gongzhi triage eval --train A.csv --test B.csv
    gongzhi triage list | rollback [--to VERSION] | demo | places
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.cases.choices import Status
from gongzhi.cases.models import Case, CaseCategory
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.grid.models import Building, Compound, GridNode, Jurisdiction
from gongzhi.routing import classifier, demo_corpus, evaluate
from gongzhi.routing import places as place_names
from gongzhi.routing import services as routing
from gongzhi.routing.models import Source, TriageModel

PLACE_LEVELS = ("district", "street", "community", "grid")


def demo_categories(jurisdiction: Jurisdiction) -> list[demo_corpus.CategoryText]:
    """The jurisdiction's leaf categories as the demo text generator takes them."""
    rows = CaseCategory.objects.filter(jurisdiction=jurisdiction, active=True, children__isnull=True).order_by("code")
    return [
        demo_corpus.CategoryText(
            code=c.code,
            name=c.name,
            description=c.description,
            keywords=tuple(c.keywords or ()),
            level=c.default_level,
            unit=c.default_department_kind or "",
        )
        for c in rows
    ]


def place_entries(jurisdiction: Jurisdiction) -> list[place_names.Place]:
    entries = [
        place_names.Place(name, "building", node_id, pk, lat, lon)
        for pk, name, node_id, lat, lon in Building.objects.filter(jurisdiction=jurisdiction).values_list(
            "pk", "name", "node_id", "lat", "lon"
        )
    ]
    entries += [
        place_names.Place(name, "compound", node_id, None, lat, lon)
        for name, node_id, lat, lon in Compound.objects.filter(jurisdiction=jurisdiction).values_list(
            "name", "node_id", "lat", "lon"
        )
    ]
    entries += [
        place_names.Place(name, level, pk, None, None, None)
        for pk, name, level in GridNode.objects.filter(jurisdiction=jurisdiction, level__in=PLACE_LEVELS).values_list(
            "pk", "name", "level"
        )
    ]
    return entries


def prepare_demo(jurisdiction: Jurisdiction, *, per_category: int = 60, force: bool = False) -> dict[str, int]:
    """For ``gongzhi demo``: the place names, and a model trained on generated text unless one is active."""
    created = {
        "place names": routing.refresh_places(jurisdiction_id=jurisdiction.pk, entries=place_entries(jurisdiction))
    }
    if force or not TriageModel.objects.filter(jurisdiction_id=jurisdiction.pk, active=True).exists():
        categories = demo_categories(jurisdiction)
        if categories:
            routing.train_demo(jurisdiction_id=jurisdiction.pk, categories=categories, per_category=per_category)
            created["triage model"] = 1
    return created


class Command(BaseCommand):
    help = "Triage model: train from closed cases, eval on a labelled CSV, list, rollback, demo, places."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("train", "eval", "list", "rollback", "demo", "places"))
        parser.add_argument("--jurisdiction", default=None, help="jurisdiction code (default: the only one)")
        parser.add_argument("--min-samples", type=int, default=200, help="train: fewest closed cases to learn from")
        parser.add_argument("--data", default=None, help="eval: labelled CSV (title, body, label) for k-fold")
        parser.add_argument("--folds", type=int, default=5, help="eval: number of folds (default 5)")
        parser.add_argument("--extra", default=None, help="eval: more labelled rows added to every training fold")
        parser.add_argument("--train", dest="train_file", default=None, help="eval: labelled CSV to train on")
        parser.add_argument("--test", dest="test_file", default=None, help="eval: labelled CSV to score")
        parser.add_argument("--to", type=int, default=None, help="rollback: the version to activate")
        parser.add_argument("--json", action="store_true", help="eval: end with one JSON line of the figures")

    def handle(self, *args: object, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(options)
        except (DomainError, NotFound, evaluate.DataError) as error:
            raise CommandError(str(error)) from None

    def _jurisdiction(self, code: str | None) -> Jurisdiction:
        if code:
            found = Jurisdiction.objects.filter(code=code).first()
            if found is None:
                raise CommandError(f"no jurisdiction with code {code!r}")
            return found
        rows = list(Jurisdiction.objects.all()[:2])
        if len(rows) != 1:
            raise CommandError("name the jurisdiction with --jurisdiction CODE")
        return rows[0]

    # ------------------------------------------------------------------------------------------------- actions

    def _train(self, options: dict[str, Any]) -> None:
        """Learn from closed cases: the category they ended in, the kind of department that handled them, the
        level they were resolved at."""
        jurisdiction = self._jurisdiction(options["jurisdiction"])
        rows = (
            Case.objects.filter(jurisdiction=jurisdiction, status=Status.CLOSED, category__isnull=False)
            .order_by("-closed_at")
            .values_list(
                "title", "description", "category__code", "handler_department__kind", "resolved_level", "level"
            )
        )
        samples = [
            classifier.Sample(
                title=title,
                body=description,
                labels={"category": code, "unit": kind or "none", "level": resolved or level},
            )
            for title, description, code, kind, resolved, level in rows.iterator()
        ]
        if len(samples) < options["min_samples"]:
            raise CommandError(
                f"only {len(samples)} closed cases with a category; at least {options['min_samples']} are needed "
                "(--min-samples)"
            )
        began = time.perf_counter()
        model = classifier.train(samples, heads=routing.HISTORY_HEADS)
        row = routing.store_model(
            jurisdiction_id=jurisdiction.pk, model=model, source=Source.HISTORY, note=f"{len(samples)} closed cases"
        )
        self.stdout.write(
            f"trained version {row.version} on {len(samples)} closed cases in {time.perf_counter() - began:.1f} s "
            f"({model.meta['features']} features, {len(model.heads['category'].labels)} categories); now active"
        )

    def _eval(self, options: dict[str, Any]) -> None:
        if options["data"]:
            samples = evaluate.read_csv(options["data"])
            extra = evaluate.read_csv(options["extra"]) if options["extra"] else []
            report = evaluate.kfold(samples, folds=options["folds"], extra=extra)
            if extra:
                self.stdout.write(f"training folds also get {options['extra']} (rows that occur in --data left out)")
        elif options["train_file"] and options["test_file"]:
            report = evaluate.split(evaluate.read_csv(options["train_file"]), evaluate.read_csv(options["test_file"]))
        else:
            raise CommandError("give --data FILE.csv (k-fold), or --train A.csv --test B.csv")
        for line in evaluate.render(report):
            self.stdout.write(line)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "macro_f1": round(report.macro_f1, 4),
                        "accuracy": round(report.accuracy, 4),
                        "folds": report.folds,
                        "train_seconds": [round(s, 2) for s in report.train_seconds],
                        "train_rows": report.train_sizes,
                        "predict_ms": round(sum(report.predict_ms) / len(report.predict_ms), 3),
                        "ece": round(report.calibration_error(), 4),
                    }
                )
            )

    def _list(self, options: dict[str, Any]) -> None:
        jurisdiction = self._jurisdiction(options["jurisdiction"])
        rows = TriageModel.objects.filter(jurisdiction_id=jurisdiction.pk).defer("blob").order_by("version")
        if not rows:
            self.stdout.write("no triage model yet (gongzhi triage demo, or gongzhi triage train)")
        for row in rows:
            mark = "*" if row.active else " "
            self.stdout.write(
                f"{mark} v{row.version:<4} {row.created_at:%Y-%m-%d %H:%M}  {row.source:<8} {row.samples:>7} samples  "
                f"{row.note}"
            )

    def _rollback(self, options: dict[str, Any]) -> None:
        jurisdiction = self._jurisdiction(options["jurisdiction"])
        row = routing.rollback(jurisdiction_id=jurisdiction.pk, to_version=options["to"])
        self.stdout.write(f"version {row.version} ({row.source}) is active")

    def _demo(self, options: dict[str, Any]) -> None:
        jurisdiction = self._jurisdiction(options["jurisdiction"])
        began = time.perf_counter()
        created = prepare_demo(jurisdiction, force=True)
        self.stdout.write(
            ", ".join(f"{k} {v}" for k, v in created.items()) + f" in {time.perf_counter() - began:.1f} s"
        )

    def _places(self, options: dict[str, Any]) -> None:
        jurisdiction = self._jurisdiction(options["jurisdiction"])
        count = routing.refresh_places(jurisdiction_id=jurisdiction.pk, entries=place_entries(jurisdiction))
        self.stdout.write(f"{count} place names")
