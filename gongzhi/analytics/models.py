"""Rollups of the case figures, kept current from the append-only case events (see rollup.py).

- ``CaseFact``: each case's current counter vector (one small column per counter) and dimensions, so a change can be
  applied as a difference, and so the bulk build (bulk.py) can sum them in SQL.
- ``Rollup``: sums of those vectors per period (day or month of submission) × grid node × one dimension (none,
  category, channel or handling unit). A case counts in the row of its own node *and of every ancestor* (the
  materialised path's prefixes), so any node's figures are an exact lookup on ``node_id``, never a subtree scan.
- ``RollupCursor``: how far the event stream (and the rating stream) has been read.

Nothing here is a source of truth: all three can be rebuilt from the cases (``rollup.rebuild``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.analytics.formulas import COUNTERS


class CaseFact(models.Model):
    case_id = models.BigIntegerField(primary_key=True)
    jurisdiction_id = models.BigIntegerField()
    day = models.DateField()
    node_id = models.BigIntegerField()
    path = models.CharField(max_length=255)
    category_id = models.BigIntegerField(default=0)  # 0 = not triaged yet
    channel = models.CharField(max_length=16)
    unit = models.CharField(max_length=24, blank=True)  # "n<node id>", "d<department id>" or "" (nobody yet)
    # … and one column per counter of formulas.COUNTERS (added below).

    class Meta:
        verbose_name = _("case fact")
        verbose_name_plural = _("case facts")

    def __str__(self) -> str:
        return f"case {self.case_id} @ {self.path}"


class Rollup(models.Model):
    DAY = "d"
    MONTH = "m"

    jurisdiction_id = models.BigIntegerField()
    period = models.CharField(max_length=1)  # d | m
    start = models.DateField()
    node_id = models.BigIntegerField()
    path = models.CharField(max_length=255)
    dim = models.CharField(max_length=12, blank=True)  # "" | category | channel | unit
    key = models.CharField(max_length=24, blank=True)

    class Meta:
        verbose_name = _("rollup")
        verbose_name_plural = _("rollups")
        constraints = [
            # Also the read path: one node, one period kind, one dimension, a range of starts.
            models.UniqueConstraint(
                fields=["node_id", "period", "dim", "start", "key"], name="analytics_rollup_node_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period}{self.start} {self.path} {self.dim}={self.key}"


for _name in COUNTERS:
    Rollup.add_to_class(_name, models.BigIntegerField(default=0))
    # Per case a counter is 0/1 or a handful (ratings), handling minutes can be large.
    CaseFact.add_to_class(
        _name, models.IntegerField(default=0) if _name == "handling_minutes" else models.SmallIntegerField(default=0)
    )


class RollupCursor(models.Model):
    name = models.CharField(primary_key=True, max_length=32)  # "events" | "ratings"
    last_id = models.BigIntegerField(default=0)
    # Ids below last_id not seen yet (a transaction still open when we read past it): [[id, first seen (epoch s)]].
    gaps = models.JSONField(default=list)

    class Meta:
        verbose_name = _("rollup cursor")
        verbose_name_plural = _("rollup cursors")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_id}"
