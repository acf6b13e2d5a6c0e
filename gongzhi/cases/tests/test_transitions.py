"""The pure transition table and its guards (no database)."""

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.cases import transitions as t
from gongzhi.grid import roles


def facts(status, **kw):
    return t.Facts(status=status, **kw)


def test_the_main_loop_follows_the_design_diagram():
    path = [
        (t.TRIAGE, t.SUBMITTED, t.TRIAGED),
        (t.DISPATCH, t.TRIAGED, t.DISPATCHED),
        (t.ACCEPT, t.DISPATCHED, t.ACCEPTED),
        (t.HOLD, t.ACCEPTED, t.ON_HOLD),
        (t.RESUME, t.ON_HOLD, t.ACCEPTED),
        (t.RESOLVE, t.ACCEPTED, t.RESOLVED),
        (t.PUBLISH, t.RESOLVED, t.RESOLVED),
        (t.RATE, t.RESOLVED, t.CLOSED),
    ]
    for action, before, after in path:
        # a case in status resolved has its resolution recorded (resolved_at, services.facts)
        recorded = before in (t.RESOLVED, t.CLOSED)
        assert t.next_status(action, facts(before, has_handler=True, resolved=recorded)) == after


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (t.ACCEPT, t.TRIAGED),
        (t.RESOLVE, t.ON_HOLD),
        (t.DISPATCH, t.SUBMITTED),
        (t.HOLD, t.DISPATCHED),
        (t.RATE, t.ACCEPTED),
        (t.MERGE, t.DISPATCHED),
        (t.REJECT, t.RESOLVED),
    ],
)
def test_actions_outside_the_table_are_refused_with_a_reason(action, status):
    with pytest.raises(t.TransitionError, match=f"cannot {t.ACTION_TERMS[action]}"):
        t.next_status(action, facts(status))


@pytest.mark.parametrize("status", sorted(t.FINAL))
def test_final_statuses_accept_no_action_but_a_closed_case_may_be_published(status):
    assert t.actions_from(status) == ([t.PUBLISH] if status == t.CLOSED else [])
    for action in t.actions_from(status):
        assert t.TABLE[action][status] == status  # publishing changes no status


def test_escalation_stops_at_the_district():
    assert [t.escalated_level(lvl) for lvl in ("micro_grid", "grid", "community", "street")] == [
        "grid",
        "community",
        "street",
        "district",
    ]
    with pytest.raises(t.TransitionError, match="district level"):
        t.next_status(t.ESCALATE, facts(t.ACCEPTED, level=roles.DISTRICT))
    with pytest.raises(t.TransitionError, match="district level"):
        t.escalated_level(roles.DISTRICT)


def test_whistle_needs_street_level_or_above():
    with pytest.raises(t.TransitionError, match="street level or above"):
        t.next_status(t.WHISTLE, facts(t.ACCEPTED, level=roles.COMMUNITY))
    assert t.next_status(t.WHISTLE, facts(t.ACCEPTED, level=roles.STREET)) == t.ACCEPTED


def test_resolve_waits_for_summoned_departments_and_on_the_spot_is_special():
    with pytest.raises(t.TransitionError, match="2 summoned department"):
        t.next_status(t.RESOLVE, facts(t.ACCEPTED, open_co_tasks=2))
    with pytest.raises(t.TransitionError, match="only an accepted case"):
        t.next_status(t.RESOLVE, facts(t.SUBMITTED))
    assert t.next_status(t.RESOLVE, facts(t.SUBMITTED, on_the_spot=True)) == t.RESOLVED


def test_rating_outcomes_and_repeated_rework_escalates():
    assert t.rating_outcome(satisfied=True, rework_count=0, level="grid") == t.CLOSED
    assert t.rating_outcome(satisfied=False, rework_count=0, level="grid") == t.DISPATCHED
    assert t.rating_outcome(satisfied=False, rework_count=1, level="grid") == t.TRIAGED
    assert t.rating_outcome(satisfied=False, rework_count=5, level="district") == t.DISPATCHED


def test_publish_twice_is_refused():
    with pytest.raises(t.TransitionError, match="already published"):
        t.next_status(t.PUBLISH, facts(t.RESOLVED, public=True, resolved=True))


def test_a_closed_case_with_a_result_can_be_published():
    assert t.next_status(t.PUBLISH, facts(t.CLOSED, resolved=True)) == t.CLOSED
    assert t.next_status(t.PUBLISH, facts(t.RESOLVED, resolved=True)) == t.RESOLVED


@pytest.mark.parametrize(
    ("status", "extra", "reason"),
    [
        (t.CLOSED, {"resolved": False}, "closed without being resolved"),
        (t.MERGED, {}, "merged into another case"),
        (t.REJECTED, {}, "rejected"),
        (t.ACCEPTED, {}, "not resolved yet"),
        (t.SUBMITTED, {}, "not resolved yet"),
        (t.CLOSED, {"resolved": True, "private": True}, "private category"),
        (t.CLOSED, {"resolved": True, "public": True}, "already published"),
    ],
)
def test_every_refused_publication_says_why(status, extra, reason):
    with pytest.raises(t.TransitionError, match=reason) as refused:
        t.next_status(t.PUBLISH, facts(status, **extra))
    assert t.publish_refusal(facts(status, **extra)).message == refused.value.message
    with translation.override("zh-hans"):
        assert refused.value.message != str(refused.value)  # said in Chinese in the console


def test_a_refused_publication_of_an_open_case_names_its_status():
    with translation.override("zh-hans"):
        assert t.publish_refusal(facts(t.ACCEPTED)).message == "该工单当前为“已接单”，尚未办结：有办理结果后才能公示"


def test_a_private_category_is_never_published():
    with pytest.raises(t.TransitionError, match="private category"):
        t.next_status(t.PUBLISH, facts(t.RESOLVED, private=True, resolved=True))
    assert t.next_status(t.PUBLISH, facts(t.RESOLVED, private=False, resolved=True)) == t.RESOLVED
    # Only publishing looks at the flag.
    assert t.next_status(t.CLOSE, facts(t.RESOLVED, private=True)) == t.CLOSED


def test_every_action_and_status_has_a_name_for_messages():
    assert set(t.ACTION_TERMS) == set(t.TABLE)
    assert set(t.STATUS_TERMS) == set(t.STATUSES)


@given(
    action=st.sampled_from(sorted(t.TABLE)),
    status=st.sampled_from(t.STATUSES),
    level=st.sampled_from(roles.LEVELS),
    spot=st.booleans(),
    tasks=st.integers(0, 3),
    public=st.booleans(),
    handler=st.booleans(),
    private=st.booleans(),
    resolved=st.booleans(),
)
def test_next_status_only_ever_follows_the_table(
    action, status, level, spot, tasks, public, handler, private, resolved
):
    f = t.Facts(
        status=status,
        level=level,
        on_the_spot=spot,
        open_co_tasks=tasks,
        public=public,
        has_handler=handler,
        private=private,
        resolved=resolved,
    )
    refused: t.TransitionError | None = None
    try:
        after = t.next_status(action, f)
    except t.TransitionError as exc:
        refused = exc
    if refused is not None:
        assert refused.message  # every refusal says why
        assert action != t.PUBLISH or t.publish_refusal(f) is not None
        return
    assert after == t.TABLE[action][status]
    if status in t.FINAL:  # only publishing touches a final case, and only a closed one with a result
        assert (action, status, after, resolved, public, private) == (t.PUBLISH, t.CLOSED, t.CLOSED, True, False, False)
    if action == t.PUBLISH:
        assert resolved and not public and not private and t.publish_refusal(f) is None


def test_a_refused_transition_names_the_action_and_status_in_chinese():
    with pytest.raises(t.TransitionError) as refused:
        t.next_status(t.ACCEPT, t.Facts(status=t.CLOSED))
    with translation.override("zh-hans"):
        assert refused.value.message == "案件当前为“已结案”，不能接单"
    with translation.override("en"):
        assert refused.value.message == "cannot accept a case that is closed"


@pytest.mark.parametrize("status", sorted(t.OPEN))
def test_the_reporter_may_withdraw_an_open_case_and_add_information_to_it(status):
    assert t.next_status(t.WITHDRAW, facts(status)) == t.WITHDRAWN
    assert t.next_status(t.ADD_INFO, facts(status)) == status


@pytest.mark.parametrize("status", [t.RESOLVED, t.CLOSED, t.REJECTED, t.MERGED, t.WITHDRAWN])
def test_not_once_it_is_resolved_or_final(status):
    for action in (t.WITHDRAW, t.ADD_INFO):
        with pytest.raises(t.TransitionError, match=f"cannot {t.ACTION_TERMS[action]}"):
            t.next_status(action, facts(status))


def test_a_case_others_joined_is_not_withdrawn():
    with pytest.raises(t.TransitionError, match="stays open for them"):
        t.next_status(t.WITHDRAW, facts(t.ACCEPTED, duplicates=1))
    assert t.next_status(t.ADD_INFO, facts(t.ACCEPTED, duplicates=1)) == t.ACCEPTED


def test_withdrawn_is_final_and_not_open():
    assert t.WITHDRAWN in t.FINAL and t.WITHDRAWN not in t.OPEN and t.WITHDRAWN not in t.RUNNING
    assert t.actions_from(t.WITHDRAWN) == []


def test_a_resolved_status_without_its_resolution_recorded_is_not_published():
    # Hypothesis found it: the facts of a case in status resolved whose resolution is not recorded.
    facts = t.Facts(
        status=t.RESOLVED,
        level=roles.COMMUNITY,
        on_the_spot=False,
        open_co_tasks=0,
        public=False,
        has_handler=True,
        private=False,
        resolved=False,
    )
    with pytest.raises(t.TransitionError):
        t.next_status(t.PUBLISH, facts)
    assert t.publish_refusal(facts) is not None
