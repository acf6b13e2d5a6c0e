"""Smart triage (梳理): category, unit and level suggestions, urgency, duplicates, location from text, hot issues.

The pure core (``text``, ``classifier``, ``evaluate``, ``urgency``, ``similarity``, ``places``, ``demo_corpus``)
imports no Django; ``services`` is the thin Django adapter. ``hot_issues`` and ``suggest`` are re-exported lazily so
that importing a pure module never loads Django models.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["HotIssue", "Suggestion", "hot_issues", "suggest"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        # By name, so the strict type check of the pure modules does not follow it into Django.
        return getattr(importlib.import_module("gongzhi.routing.services"), name)
    raise AttributeError(name)
