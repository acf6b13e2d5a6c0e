"""Scoring a classifier on labelled text: k-fold cross-validation or train-on-A/score-on-B, macro-F1, accuracy,
per-class precision and recall, a confusion matrix, calibration, training time and prediction latency.
Pure: no Django import. ``gongzhi triage eval`` prints what this computes.
"""

from __future__ import annotations

import csv
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gongzhi.routing.classifier import Model, Options, Sample, train

HEAD = "category"


class DataError(ValueError):
    """A labelled file that cannot be read as title, body, label."""


def read_csv(path: str | Path, *, label_column: str = "label") -> list[Sample]:
    """Rows of a UTF-8 CSV with a header naming ``title`` and/or ``body`` and the label column."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if label_column not in columns or not columns & {"title", "body"}:
            raise DataError(f"{path}: expected columns title and/or body, and {label_column}; found {sorted(columns)}")
        samples = []
        for row in reader:
            label = (row.get(label_column) or "").strip()
            title = (row.get("title") or "").strip()
            body = (row.get("body") or "").strip()
            if label and (title or body):
                samples.append(Sample(title=title, body=body, labels={HEAD: label}))
    if not samples:
        raise DataError(f"{path}: no labelled rows")
    return samples


@dataclass
class Report:
    labels: list[str]
    confusion: list[list[int]]  # rows: true label, columns: predicted
    train_seconds: list[float] = field(default_factory=list)
    train_sizes: list[int] = field(default_factory=list)
    predict_ms: list[float] = field(default_factory=list)  # per message
    confidences: list[float] = field(default_factory=list)
    correct: list[bool] = field(default_factory=list)
    folds: int = 1

    @property
    def total(self) -> int:
        return sum(map(sum, self.confusion))

    @property
    def accuracy(self) -> float:
        return sum(self.confusion[i][i] for i in range(len(self.labels))) / max(self.total, 1)

    def per_class(self) -> list[tuple[str, float, float, float, int]]:
        """(label, precision, recall, F1, support) per class."""
        rows = []
        for i, label in enumerate(self.labels):
            tp = self.confusion[i][i]
            predicted = sum(row[i] for row in self.confusion)
            support = sum(self.confusion[i])
            precision = tp / predicted if predicted else 0.0
            recall = tp / support if support else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            rows.append((label, precision, recall, f1, support))
        return rows

    @property
    def macro_f1(self) -> float:
        rows = [r for r in self.per_class() if r[4]]
        return sum(r[3] for r in rows) / max(len(rows), 1)

    def calibration_error(self, bins: int = 10) -> float:
        """Expected calibration error: how far stated confidence is from observed accuracy, weighted by bin size."""
        if not self.confidences:
            return 0.0
        conf = np.array(self.confidences)
        hit = np.array(self.correct, dtype=float)
        edges = np.linspace(0, 1, bins + 1)
        error = 0.0
        for lo, hi in itertools.pairwise(edges):
            mask = (conf > lo) & (conf <= hi)
            if mask.any():
                error += mask.mean() * abs(float(hit[mask].mean()) - float(conf[mask].mean()))
        return error

    def accuracy_above(self, threshold: float) -> tuple[float, float]:
        """(share of messages at or above the confidence, accuracy among them): what auto-apply would do."""
        chosen = [ok for c, ok in zip(self.confidences, self.correct, strict=True) if c >= threshold]
        if not chosen:
            return 0.0, 0.0
        return len(chosen) / len(self.correct), sum(chosen) / len(chosen)


def _score(model: Model, test: Sequence[Sample], report: Report, index: dict[str, int]) -> None:
    began = time.perf_counter()
    for sample in test:
        prediction = model.predict(sample.title, sample.body, k=1)[HEAD]
        truth = sample.labels[HEAD]
        report.confusion[index[truth]][index[prediction.label]] += 1
        report.confidences.append(prediction.confidence)
        report.correct.append(prediction.label == truth)
    report.predict_ms.append((time.perf_counter() - began) * 1000 / max(len(test), 1))


def _new_report(samples: Sequence[Sample], folds: int) -> tuple[Report, dict[str, int]]:
    labels = sorted({s.labels[HEAD] for s in samples})
    return Report(labels=labels, confusion=[[0] * len(labels) for _ in labels], folds=folds), {
        label: i for i, label in enumerate(labels)
    }


def _fit(train_set: Sequence[Sample], options: Options | None, report: Report) -> Model:
    began = time.perf_counter()
    model = train(train_set, heads=(HEAD,), options=options)
    report.train_seconds.append(time.perf_counter() - began)
    report.train_sizes.append(len(train_set))
    return model


def kfold(
    samples: Sequence[Sample],
    *,
    folds: int = 5,
    seed: int = 7,
    options: Options | None = None,
    extra: Sequence[Sample] = (),
) -> Report:
    """Stratified k-fold: each class is dealt round-robin over the folds after a seeded shuffle. ``extra`` rows are
    added to every training fold and never scored (rows whose text also occurs in ``samples`` are left out, so no
    scored message is ever trained on)."""
    if folds < 2:
        raise DataError("k-fold needs at least 2 folds")
    if len(samples) < folds:
        raise DataError(f"{len(samples)} rows cannot make {folds} folds")
    report, index = _new_report(samples, folds)
    rng = np.random.default_rng(seed)
    fold_of = [0] * len(samples)
    by_label: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        by_label.setdefault(s.labels[HEAD], []).append(i)
    seen = {(s.title, s.body) for s in samples} | {(s.title, "") for s in samples if s.title}
    extra = [s for s in extra if (s.title, s.body) not in seen]
    offset = 0
    for members in by_label.values():
        for j, i in enumerate(rng.permutation(members)):
            fold_of[int(i)] = (offset + j) % folds
        offset += len(members)
    for fold in range(folds):
        train_set = [s for s, f in zip(samples, fold_of, strict=True) if f != fold] + list(extra)
        test_set = [s for s, f in zip(samples, fold_of, strict=True) if f == fold]
        _score(_fit(train_set, options, report), test_set, report, index)
    return report


def split(train_set: Sequence[Sample], test_set: Sequence[Sample], *, options: Options | None = None) -> Report:
    """Train on one labelled set, score another (labels unseen in training count as errors)."""
    report, index = _new_report([*train_set, *test_set], 1)
    _score(_fit(train_set, options, report), test_set, report, index)
    return report


def render(report: Report, *, thresholds: Sequence[float] = (0.6, 0.8, 0.9)) -> list[str]:
    """The report as text lines: headline, per-class table, confusion matrix, calibration."""
    lines = [
        f"rows scored: {report.total} ({report.folds}-fold)" if report.folds > 1 else f"rows scored: {report.total}",
        f"macro-F1: {report.macro_f1:.4f}",
        f"accuracy: {report.accuracy:.4f}",
        "training: "
        + ", ".join(f"{s:.2f} s on {n} rows" for s, n in zip(report.train_seconds, report.train_sizes, strict=True)),
        f"prediction: {np.mean(report.predict_ms):.3f} ms per message (mean over folds, one core)",
        f"calibration error (ECE, 10 bins): {report.calibration_error():.4f}",
    ]
    for threshold in thresholds:
        share, accuracy = report.accuracy_above(threshold)
        lines.append(f"confidence ≥ {threshold:.2f}: {share:.1%} of messages, {accuracy:.1%} of them right")
    width = max(len(label) for label in report.labels)
    lines.append("")
    lines.append(f"{'class':<{width}}  precision  recall     F1  support")
    for label, precision, recall, f1, support in report.per_class():
        lines.append(f"{label:<{width}}  {precision:9.3f}  {recall:6.3f}  {f1:5.3f}  {support:7d}")
    lines.append("")
    lines.append("confusion (rows: true, columns: predicted, in class order above)")
    for label, row in zip(report.labels, report.confusion, strict=True):
        lines.append(f"{label:<{width}}  " + " ".join(f"{n:5d}" for n in row))
    return lines
