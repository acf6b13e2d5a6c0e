"""The reporter's own actions (issue 24, item 15): add information to an open case, withdraw it before it is resolved,
and follow an open case nearby instead of filing a new one. Exact states, events and notifications; refused actions
change nothing and tell nobody; a withdrawn case is never counted as unresolved."""

from __future__ import annotations

import pytest

from gongzhi.cases import figures, services
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import EventKind, SlaState
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world
from gongzhi.core.errors import Conflict, DomainError, PermissionDenied
from gongzhi.notifications import backends
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db
PHONE = "13800138000"


@pytest.fixture
def w():
    return world()


def snapshot(case):
    row = Case.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    return row, CaseEvent.objects.filter(case=case).count(), Notification.objects.count()


def last_event(case):
    return CaseEvent.objects.filter(case=case).order_by("-seq").first()


# ------------------------------------------------------------------------------------------------- add information


def test_the_reporter_adds_text_and_photos_seen_by_staff_not_the_public(w):
    case = w.to_accepted(reporter=w.resident, photos=["cases/reports/2024/05/a.jpg"])
    case = services.add_information(
        case=case, actor=w.resident, text="  晚上十点以后更吵  ", photos=["cases/reports/2024/05/b.jpg"]
    )
    assert case.status == t.ACCEPTED
    assert case.photos == ["cases/reports/2024/05/a.jpg", "cases/reports/2024/05/b.jpg"]
    event = last_event(case)
    assert (event.kind, event.note, event.data, event.public, event.actor) == (
        EventKind.INFO_ADDED,
        "晚上十点以后更吵",
        {"photos": [1]},
        False,  # staff and the reporter see it, the public timeline does not
        w.resident,
    )
    # The handler hears of it.
    told = Notification.objects.filter(kind="case.info_added", subject=f"case:{case.pk}")
    assert set(told.values_list("recipient", flat=True)) == {w.steward.pk}


def test_before_anyone_handles_it_the_dispatchers_hear(w):
    case = w.submit(reporter=w.resident)
    services.add_information(case=case, actor=None, text="门牌是3单元", verified_reporter=True)
    told = Notification.objects.filter(kind="case.info_added", subject=f"case:{case.pk}")
    assert set(told.values_list("recipient", flat=True)) == {w.dispatcher.pk}


@pytest.mark.parametrize("who", ["steward", "dispatcher", "other_dispatcher", "grid_worker", None])
def test_only_the_reporter_adds_information(w, who):
    case = w.to_accepted(reporter=w.resident)
    before = snapshot(case)
    with pytest.raises(PermissionDenied, match="only the person who reported the case may add information to it"):
        services.add_information(case=case, actor=getattr(w, who) if who else None, text="假消息")
    assert snapshot(case) == before


@pytest.mark.parametrize(
    ("text", "photos", "message"),
    [
        ("", [], "write something or add a photo"),
        ("   ", [], "write something or add a photo"),
        ("长" * 2001, [], "too long"),
        ("看照片", [f"cases/reports/x{i}.jpg" for i in range(5)], "too many photos"),
    ],
)
def test_bad_additions_are_refused_and_change_nothing(w, text, photos, message):
    case = w.submit(reporter=w.resident)
    before = snapshot(case)
    with pytest.raises(DomainError, match=message):
        services.add_information(case=case, actor=w.resident, text=text, photos=photos)
    assert snapshot(case) == before


def test_a_case_holds_at_most_twenty_photos(w):
    case = w.submit(reporter=w.resident, photos=[f"cases/reports/p{i}.jpg" for i in range(18)])
    with pytest.raises(DomainError, match="too many photos"):
        services.add_information(case=case, actor=w.resident, photos=[f"cases/reports/n{i}.jpg" for i in range(3)])
    assert len(services.add_information(case=case, actor=w.resident, photos=["cases/reports/a.jpg"]).photos) == 19


@pytest.mark.parametrize("state", ["resolved", "closed", "withdrawn"])
def test_no_information_is_added_once_it_is_resolved_or_final(w, state):
    case = w.to_resolved(reporter=w.resident)
    if state == "closed":
        case = services.rate(case=case, actor=w.resident, score="satisfied", solved=True)
    elif state == "withdrawn":
        case = w.submit(reporter=w.resident)
        case = services.withdraw(case=case, actor=w.resident, reason="不需要了")
    before = snapshot(case)
    with pytest.raises(t.TransitionError):
        services.add_information(case=case, actor=w.resident, text="还有问题")
    assert snapshot(case) == before


# ------------------------------------------------------------------------------------------------------- withdraw


@pytest.mark.parametrize("stage", ["submitted", "triaged", "dispatched", "accepted", "on_hold"])
def test_the_reporter_withdraws_an_open_case(w, stage, django_capture_on_commit_callbacks):
    case = w.submit(reporter=w.resident, reporter_phone=PHONE)
    if stage != "submitted":
        case = services.triage(case=case, actor=w.dispatcher, category=w.category)
    if stage in ("dispatched", "accepted", "on_hold"):
        case = services.dispatch(case=case, actor=w.dispatcher, user=w.steward)
    if stage in ("accepted", "on_hold"):
        case = services.accept(case=case, actor=w.steward)
    if stage == "on_hold":
        case = services.hold(case=case, actor=w.steward, reason="等配件")
    backends.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = services.withdraw(case=case, actor=w.resident, reason="  自己修好了  ")
    assert (case.status, case.sla_state) == (t.WITHDRAWN, SlaState.DONE)
    assert case.closed_at is not None and case.resolved_at is None
    event = last_event(case)
    assert (event.kind, event.from_status, event.to_status, event.note, event.public) == (
        EventKind.WITHDRAWN,
        stage,
        t.WITHDRAWN,
        "自己修好了",
        True,
    )
    told = set(
        Notification.objects.filter(kind="case.withdrawn", subject=f"case:{case.pk}").values_list(
            "recipient", flat=True
        )
    )
    expected = {w.dispatcher.pk} | ({w.steward.pk} if stage not in ("submitted", "triaged") else set())
    assert told == expected
    assert [m for m in backends.outbox if m.phone == PHONE] == []  # the reporter did it: no text about it


def test_withdraw_needs_a_reason_and_the_reporter(w):
    case = w.to_accepted(reporter=w.resident)
    before = snapshot(case)
    with pytest.raises(DomainError, match="reason is required"):
        services.withdraw(case=case, actor=w.resident, reason="  ")
    for someone in (w.steward, w.dispatcher, w.centre, None):
        with pytest.raises(PermissionDenied, match="may withdraw it"):
            services.withdraw(case=case, actor=someone, reason="撤回")
    assert snapshot(case) == before
    # The interface vouches for a reporter without an account (their browser, or a phone login).
    assert services.withdraw(case=case, actor=None, reason="撤回", verified_reporter=True).status == t.WITHDRAWN


def test_not_once_resolved(w):
    case = w.to_resolved(reporter=w.resident)
    before = snapshot(case)
    with pytest.raises(t.TransitionError, match="cannot withdraw a case that is resolved"):
        services.withdraw(case=case, actor=w.resident, reason="算了")
    assert snapshot(case) == before


def test_not_when_neighbours_reports_joined_it(w):
    case = w.submit(reporter=w.resident)
    neighbour = w.submit(reporter_phone="13900001111")
    services.merge(case=neighbour, into=case, actor=w.dispatcher)
    case.refresh_from_db()
    before = snapshot(case)
    with pytest.raises(t.TransitionError, match="stays open for them"):
        services.withdraw(case=case, actor=w.resident, reason="我这边好了")
    assert snapshot(case) == before


def test_a_withdrawn_case_never_changes_and_the_sweep_leaves_it(w):
    case = w.to_accepted(reporter=w.resident)
    case = services.withdraw(case=case, actor=w.resident, reason="不需要了")
    before = snapshot(case)
    services.sweep(at=case.resolve_due + (case.resolve_due - case.submitted_at) * 10)
    for attempt in (
        lambda: services.resolve(case=case, actor=w.steward, result="已修"),
        lambda: services.supervise(case=case, actor=w.dispatcher, reason="催办"),
        lambda: services.escalate(case=case, actor=w.steward, reason="上报"),
    ):
        with pytest.raises(DomainError):
            attempt()
    assert snapshot(case) == before


def test_a_withdrawn_case_is_received_but_never_unresolved(w):
    open_case = w.to_accepted(reporter_phone="13900002222")
    withdrawn = services.withdraw(case=w.to_accepted(reporter=w.resident), actor=w.resident, reason="已自行解决")
    assert withdrawn.status == t.WITHDRAWN
    figures_now = figures.headline(Case.objects.all())
    assert (figures_now["received"], figures_now["handled"], figures_now["withdrawn"]) == (2, 1, 1)
    assert figures_now["completion_rate"] == 0.0  # 0 of the 1 handled: the withdrawn one does not count
    assert figures_now["overdue_open"] == 0  # the rollups' side: analytics/tests/test_withdrawn.py
    assert open_case.status == t.ACCEPTED


# --------------------------------------------------------------------------------------------------------- follow


def test_following_files_the_report_and_merges_it_into_the_open_case(w, django_capture_on_commit_callbacks):
    parent = w.to_accepted(reporter_phone="13900003333")
    backends.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = services.submit_following(
            into=parent.pk,
            jurisdiction=w.jurisdiction,
            channel="qr",
            title="楼道灯坏了",
            description="楼道灯坏了，晚上看不见",
            building=w.building,
            reporter_phone=PHONE,
            photos=["cases/reports/mine.jpg"],
        )
    parent.refresh_from_db()
    assert (case.status, case.merged_into_id, parent.duplicate_count) == (t.MERGED, parent.pk, 1)
    assert case.photos == ["cases/reports/mine.jpg"] and case.reporter_phone == PHONE
    merged = last_event(case)
    assert merged.kind == EventKind.MERGED and merged.actor is None
    assert merged.data == {"into": parent.tracking_code, "by_reporter": True}
    # One text, saying it joined the earlier report — not a "received" and then a "merged".
    texts = [m.body for m in backends.outbox if m.phone == PHONE]
    assert len(texts) == 1 and case.tracking_code in texts[0]
    # They hear when it is resolved, and may rate it.
    backends.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve(case=parent, actor=w.steward, result="已换灯泡")
    assert [m for m in backends.outbox if m.phone == PHONE]
    services.rate(case=case, actor=None, score="satisfied", solved=True, verified_reporter=True)


@pytest.mark.parametrize("state", ["resolved", "withdrawn", "missing"])
def test_following_a_case_no_longer_open_is_a_conflict_and_writes_nothing(w, state):
    if state == "resolved":
        target = w.to_resolved().pk
    elif state == "withdrawn":
        target = services.withdraw(case=w.submit(reporter=w.resident), actor=w.resident, reason="好了").pk
    else:
        target = 999_999
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    with pytest.raises(Conflict, match="no longer open"):
        services.submit_following(
            into=target, jurisdiction=w.jurisdiction, channel="qr", title="楼道灯坏了", building=w.building
        )
    assert (Case.objects.count(), CaseEvent.objects.count()) == (cases, events)
