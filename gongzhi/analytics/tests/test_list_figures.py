"""The lists' figures (一台账三清单), pure: docs/metrics.md describes each one."""

from __future__ import annotations

from gongzhi.analytics import formulas


def test_list_figures():
    counts = {
        "needs_collected": 1,
        "needs_matched": 1,
        "needs_served": 2,
        "needs_closed": 1,
        "projects_planned": 1,
        "projects_active": 3,
        "projects_ended": 2,
        "resources": 4,
    }
    assert formulas.list_figures(counts) == {
        "needs": 5,
        "needs_collected": 1,
        "needs_matched": 1,
        "needs_served": 2,
        "needs_closed": 1,
        "match_rate": 0.75,  # (1 + 2) ÷ (5 − 1)
        "resources": 4,
        "projects": 6,
        "projects_active": 3,
    }
    assert list(formulas.list_figures(counts)) == list(formulas.LIST_FIGURES)


def test_nothing_open_is_no_rate():
    empty = formulas.list_figures({})
    assert empty["needs"] == empty["projects"] == empty["resources"] == 0
    assert empty["match_rate"] is None
    assert formulas.list_figures({"needs_closed": 2})["match_rate"] is None
