"""The need's state machine, pure: every step in the table, every refusal, and a Hypothesis state machine."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from gongzhi.lists import transitions as t


def test_the_table():
    assert t.next_status(t.COLLECTED, t.MATCH) == t.MATCHED
    assert t.next_status(t.MATCHED, t.SERVE) == t.SERVED
    assert t.next_status(t.SERVED, t.CLOSE, reason="已解决") == t.CLOSED
    assert t.next_status(t.COLLECTED, t.CLOSE, reason="重复") == t.CLOSED
    assert t.next_status(t.CLOSED, t.REOPEN, reason="又出现了") == t.COLLECTED
    assert t.allowed(t.COLLECTED) == [t.MATCH, t.CLOSE]
    assert t.allowed(t.CLOSED) == [t.REOPEN]


@pytest.mark.parametrize(
    ("status", "action"),
    [(t.COLLECTED, t.SERVE), (t.MATCHED, t.MATCH), (t.SERVED, t.SERVE), (t.CLOSED, t.CLOSE), (t.SERVED, t.REOPEN)],
)
def test_refused_steps(status, action):
    with pytest.raises(t.TransitionError) as exc:
        t.next_status(status, action, reason="x")
    assert exc.value.http_status == 409
    assert status in str(exc.value)


def test_close_and_reopen_need_a_reason():
    for status, action in ((t.MATCHED, t.CLOSE), (t.CLOSED, t.REOPEN)):
        with pytest.raises(t.TransitionError, match="needs a reason"):
            t.next_status(status, action, reason="  ")


def test_unknown_names_are_programming_errors():
    with pytest.raises(ValueError, match="unknown status"):
        t.next_status("lost", t.MATCH)
    with pytest.raises(ValueError, match="unknown action"):
        t.next_status(t.COLLECTED, "fly")


def test_steps_a_project_takes():
    assert t.steps_to_serve(t.COLLECTED) == [t.MATCH, t.SERVE]
    assert t.steps_to_serve(t.MATCHED) == [t.SERVE]
    assert t.steps_to_serve(t.SERVED) == t.steps_to_serve(t.CLOSED) == []
    assert t.steps_to_match(t.COLLECTED) == [t.MATCH]
    assert t.steps_to_match(t.MATCHED) == t.steps_to_match(t.CLOSED) == []


class NeedMachine(RuleBasedStateMachine):
    """Random walks: the status is always one of the four; an allowed action always succeeds and lands where the
    table says; a refused one raises and changes nothing; serving never skips matching."""

    def __init__(self) -> None:
        super().__init__()
        self.status = t.COLLECTED
        self.seen: list[str] = [t.COLLECTED]

    @rule(action=st.sampled_from(t.ACTIONS), reason=st.sampled_from(["", "因为"]))
    def act(self, action: str, reason: str) -> None:
        before = self.status
        try:
            after = t.next_status(before, action, reason=reason)
        except t.TransitionError:
            assert (before, action) not in t.TABLE or (action in t.NEEDS_REASON and not reason)
            return
        assert action in t.allowed(before)
        assert after == t.TABLE[(before, action)]
        self.status = after
        self.seen.append(after)

    @rule()
    def a_project_delivers(self) -> None:
        for action in t.steps_to_serve(self.status):
            self.status = t.next_status(self.status, action)
            self.seen.append(self.status)

    @invariant()
    def known_status(self) -> None:
        assert self.status in t.STATUSES

    @invariant()
    def served_only_after_matched(self) -> None:
        for i, status in enumerate(self.seen):
            if status == t.SERVED:
                assert self.seen[i - 1] == t.MATCHED


TestNeedMachine = NeedMachine.TestCase
