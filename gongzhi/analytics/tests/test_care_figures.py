"""The care registry's figures (formulas.care): exact numbers, zero division, per node. Pure: no database."""

from dataclasses import dataclass
from datetime import date

from gongzhi.analytics import formulas as f

TODAY = date(2026, 3, 10)


def resident(path="0001000100010001", level="red", groups=("living_alone",), due=TODAY):
    return f.CareResident(node_path=path, level=level, groups=tuple(groups), next_visit_due=due)


def visit(path="0001000100010001", on_time=True, outcome="well"):
    return f.CareVisit(node_path=path, on_time=on_time, outcome=outcome)


def test_counts_per_colour_group_overdue_and_due_today():
    rows = [
        resident(level="red", groups=("living_alone", "aged"), due=date(2026, 3, 9)),  # overdue by a day
        resident(level="red", groups=("aged",), due=TODAY),  # due today: not overdue
        resident(level="yellow", groups=("disabled",), due=date(2026, 2, 1)),  # overdue
        resident(level="green", groups=(), due=date(2026, 5, 1)),
        resident(level="green", groups=("subsistence",), due=date(2026, 3, 11)),
        resident(level="", groups=("veteran",), due=None),  # in a group, not scheduled
    ]
    figures = f.care(rows, [], today=TODAY)
    assert (figures.in_care, figures.red, figures.yellow, figures.green, figures.unlevelled) == (6, 2, 1, 2, 1)
    assert figures.groups == {"aged": 2, "disabled": 1, "living_alone": 1, "subsistence": 1, "veteran": 1}
    assert figures.overdue == 2
    assert figures.due_today == 1


def test_on_time_share_counts_visits_made_not_nobody_at_home():
    visits = [
        visit(on_time=True),
        visit(on_time=True, outcome="problem"),
        visit(on_time=False, outcome="needs_help"),
        visit(on_time=False, outcome="not_home"),  # an attempt: not a visit made
    ]
    figures = f.care([], visits, today=TODAY)
    assert (figures.visits, figures.on_time, figures.not_home) == (3, 2, 1)
    assert figures.on_time_share == 0.6667  # rounded to 4 places, as every share (formulas.ratio)


def test_no_visit_made_has_no_share_not_zero():
    figures = f.care([resident()], [visit(outcome="not_home", on_time=False)], today=TODAY)
    assert figures.visits == 0
    assert figures.on_time_share is None
    empty = f.care([], [], today=TODAY)
    assert (empty.in_care, empty.overdue, empty.visits, empty.on_time_share, empty.groups) == (0, 0, 0, None, {})


def test_per_node_splits_by_path_prefix():
    a, b = "00010001", "00010002"
    rows = [
        resident(path=a + "0001", due=date(2026, 3, 1)),
        resident(path=a + "0002", level="green", due=date(2026, 6, 1)),
        resident(path=b + "0001", level="yellow", due=date(2026, 3, 2)),
    ]
    visits = [visit(path=a + "0001"), visit(path=a + "0002", on_time=False), visit(path=b + "0003")]
    by_node = f.care_by_node(rows, visits, paths=[a, b, "00010003"], today=TODAY)
    assert (by_node[a].in_care, by_node[a].overdue, by_node[a].visits, by_node[a].on_time_share) == (2, 1, 2, 0.5)
    assert (by_node[b].in_care, by_node[b].yellow, by_node[b].overdue, by_node[b].on_time_share) == (1, 1, 1, 1.0)
    assert by_node["00010003"].in_care == 0 and by_node["00010003"].on_time_share is None


def test_care_residents_reads_the_selectors_rows():
    @dataclass(frozen=True)
    class Row:  # the shape of care.selectors.CareRow
        node_path: str
        level: str
        groups: tuple[str, ...]
        next_visit_due: date | None

    rows = f.care_residents([Row("0001", "yellow", ("aged",), TODAY), Row("0002", "", ("veteran",), None)])
    assert rows == [resident("0001", "yellow", ("aged",), TODAY), resident("0002", "", ("veteran",), None)]
