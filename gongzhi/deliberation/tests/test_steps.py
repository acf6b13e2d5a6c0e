"""The step machine (一征三议两公开), pure: a Hypothesis state machine drives a topic through random facts and random
targets. Every move ``check`` accepts is a FORWARD, BACK or DROPPED move; every guard holds; the announcements
(决议公开, 结果公开) only ever follow a recorded decision; nothing ever leaves a FINAL step; ``allowed`` lists exactly
the targets ``check`` accepts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from gongzhi.deliberation import steps

TARGETS = st.sampled_from([*steps.ALL, "nowhere", ""])
FACTS = st.builds(
    steps.Facts,
    by_residents=st.booleans(),
    supported=st.booleans(),
    vote_open=st.booleans(),
    decided=st.booleans(),
    result_written=st.booleans(),
)


def accepted(current: str, target: str, facts: steps.Facts) -> bool:
    try:
        steps.check(current, target, facts)
    except steps.StepRefused as exc:
        reason = exc.reason
    else:
        return True
    assert reason  # a refusal always says why
    return False


class Topic(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.step: str = steps.COLLECT
        self.facts = steps.Facts()
        self.history: list[tuple[str, str, steps.Facts]] = []
        self.decided_ever = False

    @rule(facts=FACTS)
    def facts_change(self, facts: steps.Facts) -> None:
        # A decision, once recorded, stays (the services never erase it); everything else may change.
        if self.decided_ever and not facts.decided:
            facts = steps.Facts(
                by_residents=facts.by_residents,
                supported=facts.supported,
                vote_open=facts.vote_open,
                decided=True,
                result_written=facts.result_written,
            )
        self.facts = facts
        self.decided_ever = self.decided_ever or facts.decided

    @rule(to=TARGETS)
    def try_move(self, to: str) -> None:
        target = to
        before = self.step
        ok = accepted(before, target, self.facts)
        assert ok == (target in steps.allowed(before, self.facts))
        if not ok:
            return
        # Only the moves of the machine.
        assert target == steps.DROPPED or steps.FORWARD.get(before) == target or steps.BACK.get(before) == target
        # The guards hold.
        assert before not in steps.FINAL
        if before == steps.COLLECT and target == steps.PROPOSE and self.facts.by_residents:
            assert self.facts.supported
        if before == steps.DECIDE or target == steps.DROPPED:
            assert not self.facts.vote_open
        if target == steps.DECISION_PUBLIC:
            assert self.facts.decided and before == steps.DECIDE
        if target == steps.RESULT_PUBLIC:
            assert self.facts.result_written and before == steps.DECISION_PUBLIC
        if target == steps.DROPPED:
            assert before in steps.OPEN
        self.history.append((before, target, self.facts))
        self.step = target

    @precondition(lambda self: self.step in steps.FINAL)
    @rule(to=TARGETS, facts=FACTS)
    def final_is_final(self, to: str, facts: steps.Facts) -> None:
        assert steps.allowed(self.step, facts) == []
        assert not accepted(self.step, to, facts)

    @invariant()
    def announcements_follow_a_decision(self) -> None:
        seen = [to for _, to, _ in self.history]
        if steps.DECISION_PUBLIC in seen:
            i = seen.index(steps.DECISION_PUBLIC)
            assert self.history[i][0] == steps.DECIDE and self.history[i][2].decided
        if steps.RESULT_PUBLIC in seen:
            assert steps.DECISION_PUBLIC in seen[: seen.index(steps.RESULT_PUBLIC)]
        if steps.is_public_decision(self.step):
            assert self.decided_ever
        assert self.step in steps.ALL


TestTopic = Topic.TestCase
TestTopic.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)


@given(current=st.sampled_from(steps.ALL), facts=FACTS)
def test_allowed_is_exactly_what_check_accepts(current: str, facts: steps.Facts) -> None:
    expected = {t for t in steps.ALL if accepted(current, t, facts)}
    found = steps.allowed(current, facts)
    assert set(found) == expected and len(found) == len(set(found))


@given(facts=FACTS)
def test_the_happy_path_needs_exactly_its_facts(facts: steps.Facts) -> None:
    """collect → … → result_public goes through iff support (for residents' topics), no open vote at decide, a
    decision and a result are there."""
    step, went = steps.COLLECT, True
    for target in steps.STEPS[1:]:
        if not accepted(step, target, facts):
            went = False
            break
        step = target
    needs = (
        (not facts.by_residents or facts.supported) and not facts.vote_open and facts.decided and facts.result_written
    )
    assert went == needs


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (steps.COLLECT, steps.DELIBERATE),  # skipping a step
        (steps.PROPOSE, steps.COLLECT),  # back, but not from decide
        (steps.DECISION_PUBLIC, steps.DECIDE),
        (steps.DECISION_PUBLIC, steps.DROPPED),  # a public decision is carried out
        (steps.RESULT_PUBLIC, steps.DROPPED),
        (steps.DROPPED, steps.COLLECT),
        (steps.DELIBERATE, steps.DECISION_PUBLIC),
    ],
)
def test_refused_moves_even_with_every_fact(current: str, target: str) -> None:
    everything = steps.Facts(by_residents=False, supported=True, decided=True, result_written=True)
    assert not accepted(current, target, everything)


def test_each_guard_alone() -> None:
    assert not accepted(steps.COLLECT, steps.PROPOSE, steps.Facts(by_residents=True, supported=False))
    assert accepted(steps.COLLECT, steps.PROPOSE, steps.Facts(by_residents=True, supported=True))
    assert accepted(steps.COLLECT, steps.PROPOSE, steps.Facts(by_residents=False, supported=False))
    assert not accepted(steps.DECIDE, steps.DECISION_PUBLIC, steps.Facts(decided=True, vote_open=True))
    assert not accepted(steps.DECIDE, steps.DELIBERATE, steps.Facts(vote_open=True))
    assert not accepted(steps.DECIDE, steps.DROPPED, steps.Facts(vote_open=True))
    assert accepted(steps.DECIDE, steps.DELIBERATE, steps.Facts())
    assert not accepted(steps.DECIDE, steps.DECISION_PUBLIC, steps.Facts(decided=False))
    assert accepted(steps.DECIDE, steps.DECISION_PUBLIC, steps.Facts(decided=True))
    assert not accepted(steps.DECISION_PUBLIC, steps.RESULT_PUBLIC, steps.Facts(decided=True))
    assert accepted(steps.DECISION_PUBLIC, steps.RESULT_PUBLIC, steps.Facts(decided=True, result_written=True))
