"""The need's life in the needs list (需求清单): collected → matched → served → closed. PURE: no Django, no ORM.

Services ask ``next_status`` before they write. A need is *matched* when a project answers it, *served* when such a
project delivers (active or ended), *closed* when staff close it (solved, withdrawn, or out of reach — with a reason);
a closed need may be reopened (back to collected) with a reason.
"""

from __future__ import annotations

from typing import Final

from gongzhi.core.errors import DomainError, Term, gettext_noop

COLLECTED: Final = "collected"
MATCHED: Final = "matched"
SERVED: Final = "served"
CLOSED: Final = "closed"
STATUSES: Final = (COLLECTED, MATCHED, SERVED, CLOSED)

CREATE: Final = "create"  # the first event of every need (no transition)
MATCH: Final = "match"
SERVE: Final = "serve"
CLOSE: Final = "close"
REOPEN: Final = "reopen"
ACTIONS: Final = (MATCH, SERVE, CLOSE, REOPEN)
# Actions that need a reason from the person taking them.
NEEDS_REASON: Final = frozenset({CLOSE, REOPEN})

TABLE: Final[dict[tuple[str, str], str]] = {
    (COLLECTED, MATCH): MATCHED,
    (MATCHED, SERVE): SERVED,
    (COLLECTED, CLOSE): CLOSED,
    (MATCHED, CLOSE): CLOSED,
    (SERVED, CLOSE): CLOSED,
    (CLOSED, REOPEN): COLLECTED,
}

STATUS_TERMS: Final = {
    COLLECTED: gettext_noop("collected"),
    MATCHED: gettext_noop("matched"),
    SERVED: gettext_noop("served"),
    CLOSED: gettext_noop("closed"),
}
ACTION_TERMS: Final = {
    MATCH: gettext_noop("match"),
    SERVE: gettext_noop("serve"),
    CLOSE: gettext_noop("close"),
    REOPEN: gettext_noop("reopen"),
}


class TransitionError(DomainError):
    """The action is not possible from this status; the message says why."""

    code = "invalid_transition"
    http_status = 409


def allowed(status: str) -> list[str]:
    """The actions possible from ``status``, in ``ACTIONS`` order."""
    return [a for a in ACTIONS if (status, a) in TABLE]


def next_status(status: str, action: str, *, reason: str = "") -> str:
    """The status after ``action``; TransitionError when the table has no such step or a reason is missing."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    target = TABLE.get((status, action))
    if target is None:
        raise TransitionError(
            gettext_noop("A need that is %(status)s cannot be given the action %(action)s."),
            params={"status": Term(STATUS_TERMS[status]), "action": Term(ACTION_TERMS[action])},
        )
    if action in NEEDS_REASON and not reason.strip():
        raise TransitionError(
            gettext_noop("Say why (%(action)s needs a reason)."), params={"action": Term(ACTION_TERMS[action])}
        )
    return target


def steps_to_serve(status: str) -> list[str]:
    """The actions that take a need to served when a project delivers: none when served or closed already."""
    if status == COLLECTED:
        return [MATCH, SERVE]
    if status == MATCHED:
        return [SERVE]
    return []


def steps_to_match(status: str) -> list[str]:
    """The actions that take a need to matched when a project answers it: none unless it is collected."""
    return [MATCH] if status == COLLECTED else []
