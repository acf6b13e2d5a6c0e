"""The steps of a topic (一征三议两公开): 征集 collect → 提议 propose → 商议 deliberate → 表决/决议 decide →
决议公开 the decision made public → 结果公开 the result made public; or dropped (with the reason) before a decision is
public.
Pure: no Django, strictly typed.

One step is active at a time. A topic moves forward one step at a time; from "decide" it may go back to "deliberate"
(a vote failed its quorum or threshold, or the meeting asked for more time). The guards:
- a topic residents proposed leaves "collect" only once enough households support it (staff's and those from a case
  or a need may move on at once);
- nothing leaves "decide" while a vote is open;
- the decision is made public only once it is recorded (a vote closed with its result, or a decision written down),
  and the result only after the decision was public and once the result is written down;
- nothing is dropped once the decision is public (it is then carried out and its result published).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gongzhi.core.errors import gettext_noop

COLLECT: Final = "collect"
PROPOSE: Final = "propose"
DELIBERATE: Final = "deliberate"
DECIDE: Final = "decide"
DECISION_PUBLIC: Final = "decision_public"
RESULT_PUBLIC: Final = "result_public"
DROPPED: Final = "dropped"

STEPS: Final = (COLLECT, PROPOSE, DELIBERATE, DECIDE, DECISION_PUBLIC, RESULT_PUBLIC)
ALL: Final = (*STEPS, DROPPED)
# Where a topic is still being decided (comments and support open; may be dropped).
OPEN: Final = frozenset({COLLECT, PROPOSE, DELIBERATE, DECIDE})
FINAL: Final = frozenset({RESULT_PUBLIC, DROPPED})

FORWARD: Final = {
    COLLECT: PROPOSE,
    PROPOSE: DELIBERATE,
    DELIBERATE: DECIDE,
    DECIDE: DECISION_PUBLIC,
    DECISION_PUBLIC: RESULT_PUBLIC,
}
BACK: Final = {DECIDE: DELIBERATE}


@dataclass(frozen=True)
class Facts:
    """What the guards need to know about a topic."""

    by_residents: bool = False  # proposed by residents (it needs their support to move on)
    supported: bool = False  # enough households support it
    vote_open: bool = False
    decided: bool = False  # a decision is recorded (a closed vote's result, or written down)
    result_written: bool = False


class StepRefused(ValueError):
    """Why a move is not allowed: ``reason`` is an English message marked for translation by callers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def allowed(current: str, facts: Facts) -> list[str]:
    """The steps the topic may move to now."""
    found = []
    for target in (*FORWARD.values(), *BACK.values(), DROPPED):
        if target in found:
            continue
        try:
            check(current, target, facts)
        except StepRefused:
            continue
        found.append(target)
    return found


def check(current: str, target: str, facts: Facts) -> None:
    """Raises StepRefused unless ``current`` → ``target`` is allowed with ``facts``."""
    if current not in ALL or target not in ALL:
        raise StepRefused(gettext_noop("Unknown step."))
    if current in FINAL:
        raise StepRefused(gettext_noop("The topic is finished."))
    if target == DROPPED:
        if current not in OPEN:
            raise StepRefused(gettext_noop("A decision made public is carried out: it cannot be dropped."))
        if facts.vote_open:
            raise StepRefused(gettext_noop("Close the vote first."))
        return
    if FORWARD.get(current) != target and BACK.get(current) != target:
        raise StepRefused(gettext_noop("A topic moves one step at a time."))
    if current == COLLECT and facts.by_residents and not facts.supported:
        raise StepRefused(gettext_noop("Not enough households support the topic yet."))
    if current == DECIDE and facts.vote_open:
        raise StepRefused(gettext_noop("Close the vote first."))
    if target == DECISION_PUBLIC and not facts.decided:
        raise StepRefused(gettext_noop("Record the decision before making it public."))
    if target == RESULT_PUBLIC and not facts.result_written:
        raise StepRefused(gettext_noop("Write down the result before making it public."))


def is_public_decision(step: str) -> bool:
    """The decision is on the public board from 决议公开 on."""
    return step in (DECISION_PUBLIC, RESULT_PUBLIC)
