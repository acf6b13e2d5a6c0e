"""The case state machine: statuses, actions and the transition table. PURE: no Django, no ORM.

This table is the source of truth for DESIGN.md §5's state diagram. Services ask ``next_status`` before they write;
guards receive plain facts (levels, counts, flags) so they can be tested and fuzzed without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gongzhi.core.errors import DomainError, Term, gettext_noop
from gongzhi.grid import roles

SUBMITTED: Final = "submitted"
TRIAGED: Final = "triaged"
DISPATCHED: Final = "dispatched"
ACCEPTED: Final = "accepted"
ON_HOLD: Final = "on_hold"
RESOLVED: Final = "resolved"
CLOSED: Final = "closed"
REJECTED: Final = "rejected"
MERGED: Final = "merged"
WITHDRAWN: Final = "withdrawn"  # by the reporter, before it was resolved

STATUSES: Final = (SUBMITTED, TRIAGED, DISPATCHED, ACCEPTED, ON_HOLD, RESOLVED, CLOSED, REJECTED, MERGED, WITHDRAWN)
OPEN: Final = frozenset({SUBMITTED, TRIAGED, DISPATCHED, ACCEPTED, ON_HOLD})
# Final statuses: the case's status and handling change no more (ratings of merged duplicates go to their parent); a
# closed case may still be published (公示), which changes only what the public sees of it.
FINAL: Final = frozenset({CLOSED, REJECTED, MERGED, WITHDRAWN})
# Statuses in which someone must act against the clock.
RUNNING: Final = frozenset({SUBMITTED, TRIAGED, DISPATCHED, ACCEPTED})

# Actions
TRIAGE: Final = "triage"
REJECT: Final = "reject"
MERGE: Final = "merge"
DISPATCH: Final = "dispatch"
ACCEPT: Final = "accept"
RETURN: Final = "return"
ESCALATE: Final = "escalate"
WHISTLE: Final = "whistle"
REPORT_IN: Final = "report_in"
HOLD: Final = "hold"
RESUME: Final = "resume"
RESOLVE: Final = "resolve"
PUBLISH: Final = "publish"
RATE: Final = "rate"
REWORK: Final = "rework"
CLOSE: Final = "close"
SUPERVISE: Final = "supervise"
MARK_SLA: Final = "mark_sla"
# The reporter's own actions on their open case: add information (text, photos) and withdraw it.
ADD_INFO: Final = "add_info"
WITHDRAW: Final = "withdraw"
# 代办: the handler hands a light errand to a volunteer, and the volunteer reports it done; neither changes the status.
GIVE_ERRAND: Final = "give_errand"
ERRAND_DONE: Final = "errand_done"

# How a message names a status or an action (translated when the message is shown; core.errors).
STATUS_TERMS: Final = {
    SUBMITTED: gettext_noop("submitted"),
    TRIAGED: gettext_noop("triaged"),
    DISPATCHED: gettext_noop("dispatched"),
    ACCEPTED: gettext_noop("accepted"),
    ON_HOLD: gettext_noop("on hold"),
    RESOLVED: gettext_noop("resolved"),
    CLOSED: gettext_noop("closed"),
    REJECTED: gettext_noop("rejected"),
    MERGED: gettext_noop("merged"),
    WITHDRAWN: gettext_noop("withdrawn"),
}
ACTION_TERMS: Final = {
    TRIAGE: gettext_noop("triage"),
    REJECT: gettext_noop("reject"),
    MERGE: gettext_noop("merge"),
    DISPATCH: gettext_noop("dispatch"),
    ACCEPT: gettext_noop("accept"),
    RETURN: gettext_noop("return"),
    ESCALATE: gettext_noop("escalate"),
    WHISTLE: gettext_noop("summon departments"),
    REPORT_IN: gettext_noop("report in"),
    HOLD: gettext_noop("put on hold"),
    RESUME: gettext_noop("resume"),
    RESOLVE: gettext_noop("resolve"),
    PUBLISH: gettext_noop("publish"),
    RATE: gettext_noop("rate"),
    REWORK: gettext_noop("send back for rework"),
    CLOSE: gettext_noop("close"),
    SUPERVISE: gettext_noop("supervise"),
    MARK_SLA: gettext_noop("mark the deadline state"),
    ADD_INFO: gettext_noop("add information to"),
    WITHDRAW: gettext_noop("withdraw"),
    GIVE_ERRAND: gettext_noop("hand to a volunteer"),
    ERRAND_DONE: gettext_noop("report an errand done on"),
}

_SAME_WHILE_OPEN: Final = {s: s for s in (SUBMITTED, TRIAGED, DISPATCHED, ACCEPTED, ON_HOLD)}

TABLE: Final[dict[str, dict[str, str]]] = {
    TRIAGE: {SUBMITTED: TRIAGED, TRIAGED: TRIAGED},
    REJECT: {SUBMITTED: REJECTED, TRIAGED: REJECTED},
    MERGE: {SUBMITTED: MERGED, TRIAGED: MERGED},
    DISPATCH: {TRIAGED: DISPATCHED, DISPATCHED: DISPATCHED},
    ACCEPT: {DISPATCHED: ACCEPTED},
    RETURN: {DISPATCHED: TRIAGED, ACCEPTED: TRIAGED},
    ESCALATE: {TRIAGED: TRIAGED, DISPATCHED: TRIAGED, ACCEPTED: TRIAGED},
    WHISTLE: {TRIAGED: TRIAGED, DISPATCHED: DISPATCHED, ACCEPTED: ACCEPTED},
    REPORT_IN: {TRIAGED: TRIAGED, DISPATCHED: DISPATCHED, ACCEPTED: ACCEPTED, ON_HOLD: ON_HOLD},
    HOLD: {ACCEPTED: ON_HOLD},
    RESUME: {ON_HOLD: ACCEPTED},
    # On the spot (即时办结): solved at intake, before anyone dispatched it.
    RESOLVE: {ACCEPTED: RESOLVED, SUBMITTED: RESOLVED, TRIAGED: RESOLVED, DISPATCHED: RESOLVED},
    # 公示 shows a result: a resolved case, or a closed one (rated 满意, or closed after the rating period) — the best
    # results are the closed ones. It changes what the public sees, never the status.
    PUBLISH: {RESOLVED: RESOLVED, CLOSED: CLOSED},
    # A satisfied rating closes; an unsatisfied one sends the case back (see ``rating_outcome``).
    RATE: {RESOLVED: CLOSED},
    REWORK: {RESOLVED: DISPATCHED},
    CLOSE: {RESOLVED: CLOSED},
    SUPERVISE: {TRIAGED: TRIAGED, DISPATCHED: DISPATCHED, ACCEPTED: ACCEPTED, ON_HOLD: ON_HOLD},
    MARK_SLA: dict(_SAME_WHILE_OPEN),
    ADD_INFO: dict(_SAME_WHILE_OPEN),
    # Withdrawn by the reporter while it is open: final, and counted nowhere as unresolved (docs/metrics.md).
    WITHDRAW: dict.fromkeys(_SAME_WHILE_OPEN, WITHDRAWN),
    # An errand is handed on while the handler works on the case; the volunteer may report back while it is open or
    # once the handler resolved it (not after it is closed).
    GIVE_ERRAND: {ACCEPTED: ACCEPTED},
    ERRAND_DONE: {ACCEPTED: ACCEPTED, ON_HOLD: ON_HOLD, RESOLVED: RESOLVED},
}

# Rework this many times and the next rework goes one level up instead of back to the same handler.
REWORK_ESCALATION_THRESHOLD: Final = 2


class TransitionError(DomainError):
    """The action is not possible from this status (or a guard refuses it); the message says why."""

    code = "invalid_transition"
    http_status = 409


@dataclass(frozen=True)
class Facts:
    """What the guards need to know about a case, as plain values."""

    status: str
    level: str = roles.COMMUNITY
    on_the_spot: bool = False
    open_co_tasks: int = 0
    public: bool = False
    has_handler: bool = False
    private: bool = False  # the category is private (a resident's personal matter): never on the public board
    resolved: bool = False  # the case has a result (it was resolved at some time)
    duplicates: int = 0  # other residents' reports merged into this case


def allowed(action: str, status: str) -> bool:
    return status in TABLE.get(action, {})


def actions_from(status: str) -> list[str]:
    return [action for action, moves in TABLE.items() if status in moves]


def next_status(action: str, facts: Facts) -> str:
    """The status after ``action``, or TransitionError with the reason."""
    moves = TABLE.get(action)
    if moves is None:
        raise TransitionError(gettext_noop("unknown action %(action)r"), params={"action": action})
    if action == PUBLISH:
        refusal = publish_refusal(facts)
        if refusal is not None:
            raise refusal
    if facts.status not in moves:
        raise TransitionError(
            gettext_noop("cannot %(action)s a case that is %(status)s"),
            params={"action": Term(ACTION_TERMS[action]), "status": Term(STATUS_TERMS[facts.status])},
        )
    _guard(action, facts)
    return moves[facts.status]


def _guard(action: str, facts: Facts) -> None:
    if action == ESCALATE and facts.level == roles.DISTRICT:
        raise TransitionError(gettext_noop("the case is already at district level, the top of the ladder"))
    if action == WHISTLE and roles.level_index(facts.level) > roles.level_index(roles.STREET):
        raise TransitionError(
            gettext_noop("departments are summoned (吹哨) at street level or above; escalate the case first")
        )
    if action == RESOLVE:
        if facts.status != ACCEPTED and not facts.on_the_spot:
            raise TransitionError(
                gettext_noop("only an accepted case can be resolved (or one solved on the spot at intake)")
            )
        if facts.open_co_tasks:
            raise TransitionError(
                gettext_noop("%(n)d summoned department(s) have not reported in yet"), params={"n": facts.open_co_tasks}
            )
    if action == WITHDRAW and facts.duplicates:
        raise TransitionError(
            gettext_noop(
                "other residents reported the same problem and their reports joined this case: it stays open for them"
            )
        )
    if action == REWORK and not facts.has_handler:
        raise TransitionError(gettext_noop("the case has no handler to send it back to"))


def publish_refusal(facts: Facts) -> TransitionError | None:
    """Why a case cannot be published (公示) now, or None: the console shows this reason for each case it refuses,
    in the single action and in the bulk one."""
    if facts.status == MERGED:
        return TransitionError(
            gettext_noop("the case was merged into another case: publish that case, which carries the result")
        )
    if facts.status == REJECTED:
        return TransitionError(gettext_noop("the case was rejected (not taken on): there is no result to publish"))
    if facts.status == WITHDRAWN:
        return TransitionError(gettext_noop("the reporter withdrew the case: there is no result to publish"))
    if facts.status in OPEN:
        return TransitionError(
            gettext_noop("the case is %(status)s, not resolved yet: it can be published once it has a result"),
            params={"status": Term(STATUS_TERMS[facts.status])},
        )
    if facts.status == CLOSED and not facts.resolved:
        return TransitionError(
            gettext_noop("the case was closed without being resolved: there is no result to publish")
        )
    if not facts.resolved:  # a resolved status without its resolution recorded: never publish what has no result
        return TransitionError(gettext_noop("the case has no result to publish"))
    if facts.private:
        return TransitionError(
            gettext_noop(
                "cases in a private category are not published: the public board would show a resident's personal "
                "matter"
            )
        )
    if facts.public:
        return TransitionError(gettext_noop("the result is already published"))
    return None


def escalated_level(level: str) -> str:
    """One rung up the ladder micro_grid → grid → community → street → district."""
    parent = roles.parent_level(level)
    if parent is None:
        raise TransitionError(gettext_noop("the case is already at district level, the top of the ladder"))
    return parent


def rating_outcome(*, satisfied: bool, rework_count: int, level: str) -> str:
    """Where a rating sends a resolved case: closed, back to its handler, or (after repeated rework) one level up."""
    if satisfied:
        return CLOSED
    if rework_count + 1 >= REWORK_ESCALATION_THRESHOLD and level != roles.DISTRICT:
        return TRIAGED  # escalated: the dispatcher one level up takes it
    return DISPATCHED
