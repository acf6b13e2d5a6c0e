"""formulas.deliberation, pure: topics per step, residents' proposals, participation (supports + comments shown +
attendance), decided share, results delivered (result public ÷ decision public) and the mean turnout of closed votes
(None when there is none; a vote with nobody eligible is not averaged)."""

from __future__ import annotations

import pytest

from gongzhi.analytics import formulas as f


def topic(step: str, **kw: object) -> f.DeliberationTopic:
    fields: dict[str, object] = {
        "node_path": "0001",
        "origin": "staff",
        "supports": 0,
        "comments": 0,
        "attended": 0,
        "decided": step in ("decision_public", "result_public"),
        "decision_public": step in ("decision_public", "result_public"),
        "result_public": step == "result_public",
    }
    fields.update(kw)
    return f.DeliberationTopic(step=step, **fields)  # type: ignore[arg-type]


def test_nothing_to_count() -> None:
    empty = f.deliberation([], [])
    assert empty.topics == 0 and empty.participation == 0
    assert empty.decided_share is None and empty.results_delivered is None and empty.turnout is None
    assert set(empty.by_step) == set(f.DELIBERATION_STEPS) and not any(empty.by_step.values())


def test_the_figures_exactly() -> None:
    topics = [
        topic("collect", origin="residents", supports=4, comments=2),
        topic("collect", origin="residents", supports=12, comments=1),
        topic("deliberate", comments=5, attended=18),
        topic("decide", origin="case", decided=True, attended=3),
        topic("decision_public", comments=1),
        topic("result_public", origin="residents", supports=20, attended=25),
        topic("dropped", comments=1),
    ]
    votes = [
        f.DeliberationVote(node_path="0001", cast=20, eligible=30),
        f.DeliberationVote(node_path="0001", cast=15, eligible=20),
        f.DeliberationVote(node_path="0001", cast=0, eligible=0),  # nobody eligible: not averaged
    ]
    got = f.deliberation(topics, votes)
    assert got.topics == 7
    assert got.by_step == {
        "collect": 2,
        "propose": 0,
        "deliberate": 1,
        "decide": 1,
        "decision_public": 1,
        "result_public": 1,
        "dropped": 1,
    }
    assert got.by_residents == 3
    assert (got.supports, got.comments, got.attendance) == (36, 10, 46)
    assert got.participation == 92
    assert got.decided == 3 and got.decided_share == round(3 / 7, 4)
    assert (got.decisions_public, got.results_public, got.results_delivered) == (2, 1, 0.5)
    assert got.votes_closed == 2
    assert got.turnout == pytest.approx(round((20 / 30 + 15 / 20) / 2, 4))  # 0.7083, not 35/50


def test_by_node_splits_by_path() -> None:
    topics = [
        topic("collect", node_path="00010001"),
        topic("result_public", node_path="00010002"),
        topic("decision_public", node_path="000100020003"),
    ]
    votes = [f.DeliberationVote(node_path="000100020003", cast=1, eligible=4)]
    split = f.deliberation_by_node(topics, votes, paths=["00010001", "00010002", "00010003"])
    assert split["00010001"].topics == 1 and split["00010001"].turnout is None
    assert split["00010002"].topics == 2 and split["00010002"].results_delivered == 0.5
    assert split["00010002"].turnout == 0.25
    assert split["00010003"].topics == 0
