"""Case services against the database: exact states, events, permissions denied with nothing changed."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from gongzhi.cases import selectors, services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent, CoHandlingTask, Rating, SupervisionNotice
from gongzhi.cases.tests.factories import category, world
from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def kinds(case):
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("kind", flat=True))


def snapshot(case):
    row = Case.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    return row, CaseEvent.objects.filter(case=case).count()


def test_the_closed_loop_from_a_qr_report_to_a_satisfied_rating(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = w.submit(reporter_phone="138 0013 8000", reporter=w.resident)
    assert case.status == t.SUBMITTED
    assert case.grid_node == w.micro and case.owner_node == w.community and case.level == "community"
    assert len(case.tracking_code) == 10

    case = services.triage(case=case, actor=w.dispatcher, category=w.category)
    assert (case.status, case.level, case.owner_node) == (t.TRIAGED, "micro_grid", w.community)
    case = services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    assert (case.status, case.pooled, case.handler_node) == (t.DISPATCHED, True, w.micro)
    assert selectors.pool_for(w.steward).filter(pk=case.pk).exists()
    case = services.accept(case=case, actor=w.steward)
    assert (case.status, case.handler_user, case.responded_on_time) == (t.ACCEPTED, w.steward, True)
    case = services.resolve(case=case, actor=w.steward, result="已清理", photos=["cases/after.jpg"])
    assert (case.status, case.resolved_level, case.resolved_on_time) == (t.RESOLVED, "micro_grid", True)
    case = services.publish(case=case, actor=w.dispatcher)
    assert case.public
    case = services.rate(case=case, actor=w.resident, score="satisfied", solved=True)
    assert case.status == t.CLOSED and case.closed_at is not None

    assert kinds(case) == ["submitted", "triaged", "dispatched", "accepted", "resolved", "published", "rated"]
    seqs = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 8))
    assert Rating.objects.get(case=case).score == "satisfied"


def test_reporter_phone_is_encrypted_at_rest_and_masked(w):
    case = w.submit(reporter_phone="13800138000", reporter_name="张三")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone FROM cases_case WHERE id = %s", [case.pk])
        assert "13800138000" not in cursor.fetchone()[0]
    assert Case.objects.get(pk=case.pk).reporter_phone == "13800138000"
    assert (case.masked_reporter_phone, case.masked_reporter_name) == ("138****8000", "张*")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": ""}, "title is required"),
        ({"title": "x" * 201}, "title is too long"),
        ({"description": "长" * 5001}, "description is too long"),
        ({"reporter_phone": "12345"}, "not a mainland mobile number"),
        ({"channel": "fax"}, "unknown channel"),
        ({"building": None, "lat": 30.01}, "both latitude and longitude"),
        ({"building": None, "lat": 95.0, "lon": 120.0}, "latitude 95.0 is outside"),
        ({"urgency": "whenever"}, "unknown urgency"),
    ],
)
def test_bad_submissions_are_refused_and_nothing_is_written(w, kwargs, message):
    with pytest.raises(DomainError, match=message):
        w.submit(**kwargs)
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_a_point_outside_the_grid_goes_to_the_district(w):
    case = w.submit(building=None, lat=10.0, lon=100.0)
    assert case.grid_node is None and case.owner_node == w.district


def test_gcj02_coordinates_are_stored_as_wgs84(w):
    from gongzhi.grid import coords

    lat, lon = coords.wgs84_to_gcj02(30.001, 120.001)
    case = w.submit(building=None, lat=lat, lon=lon, coord_system="gcj02")
    assert abs(case.lat - 30.001) < 1e-7 and abs(case.lon - 120.001) < 1e-7
    assert case.grid_node == w.micro


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("steward", lambda w, c, u: services.triage(case=c, actor=u, category=w.category)),
        ("other_dispatcher", lambda w, c, u: services.triage(case=c, actor=u, category=w.category)),
        ("dept_staff", lambda w, c, u: services.reject(case=c, actor=u, reason="x")),
        ("grid_worker", lambda w, c, u: services.publish(case=c, actor=u)),
        ("resident", lambda w, c, u: services.supervise(case=c, actor=u, reason="快点")),
    ],
)
def test_denied_actions_change_nothing(w, who, action):
    case = w.submit()
    before = snapshot(case)
    with pytest.raises((PermissionDenied, DomainError)):
        action(w, case, getattr(w, who))
    assert snapshot(case) == before


def test_only_the_pool_stewards_may_accept_and_the_second_gets_already_taken(w):
    case = w.submit()
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    with pytest.raises(PermissionDenied):
        services.accept(case=case, actor=w.grid_worker)  # not a steward of the pool
    services.accept(case=case, actor=w.steward2)
    before = snapshot(case)
    with pytest.raises(Conflict, match="already taken"):
        services.accept(case=case, actor=w.steward)
    assert snapshot(case) == before


def test_return_needs_a_reason_and_goes_back_to_the_dispatcher(w):
    case = w.to_accepted()
    with pytest.raises(DomainError, match="reason is required"):
        services.return_case(case=case, actor=w.steward, reason=" ")
    case = services.return_case(case=case, actor=w.steward, reason="不属于本网格")
    assert (case.status, case.handler_user, case.handler_node, case.level) == (t.TRIAGED, None, None, "community")
    assert kinds(case)[-1] == "returned"


def test_the_escalation_ladder_climbs_to_the_district_and_stops(w):
    case = w.to_accepted()
    case = services.escalate(case=case, actor=w.steward, reason="需网格协调")
    assert (case.status, case.level, case.owner_node) == (t.TRIAGED, "grid", w.community)
    case = services.escalate(case=case, actor=w.dispatcher, reason="需社区协调")
    assert (case.level, case.owner_node) == ("community", w.community)
    case = services.escalate(case=case, actor=w.dispatcher, reason="需街道协调")
    assert (case.level, case.owner_node) == ("street", w.street)
    case = services.escalate(case=case, actor=w.street_staff, reason="需区级部门")
    assert (case.level, case.owner_node, case.escalation_count) == ("district", w.district, 4)
    with pytest.raises(t.TransitionError, match="district level"):
        services.escalate(case=case, actor=w.centre, reason="再上报")
    with pytest.raises(DomainError, match="reason is required"):
        services.escalate(case=case, actor=w.centre, reason="")


def test_department_dispatch_resolves_at_the_dispatchers_level(w):
    case = w.submit()
    services.triage(case=case, actor=w.dispatcher, category=category(w.jurisdiction, "city.stall", level="street"))
    case.refresh_from_db()
    assert (case.owner_node, case.level) == (w.street, "street")
    services.dispatch(case=case, actor=w.street_staff, department=w.department)
    services.accept(case=case, actor=w.dept_staff)
    case = services.resolve(case=case, actor=w.dept_staff, result="已取缔占道经营")
    assert case.resolved_level == "street"


def test_whistle_and_report_in(w):
    case = w.submit()
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    with pytest.raises(t.TransitionError, match="street level or above"):
        services.whistle(case=case, actor=w.street_staff, departments=[w.department], task="联合整治")
    case = Case.objects.get(pk=case.pk)
    services.escalate(case=case, actor=w.dispatcher, reason="需街道吹哨")
    services.escalate(case=case, actor=w.dispatcher, reason="需街道吹哨")
    services.escalate(case=case, actor=w.dispatcher, reason="需街道吹哨")
    case = Case.objects.get(pk=case.pk)
    assert case.level == "street"
    with pytest.raises(DomainError, match="must be in the future"):
        services.whistle(
            case=case,
            actor=w.street_staff,
            departments=[w.department],
            task="联合整治",
            due=timezone.now() - timedelta(hours=1),
        )
    assert not CoHandlingTask.objects.filter(case=case).exists()
    services.whistle(case=case, actor=w.street_staff, departments=[w.department], task="联合整治违建")
    task = CoHandlingTask.objects.get(case=case)
    services.dispatch(case=case, actor=w.street_staff, user=w.street_staff)
    services.accept(case=case, actor=w.street_staff)
    with pytest.raises(t.TransitionError, match="1 summoned department"):
        services.resolve(case=case, actor=w.street_staff, result="已处理")
    with pytest.raises(PermissionDenied):
        services.report_in(task=task, actor=w.steward, report="x")
    services.report_in(task=task, actor=w.dept_staff, report="已派执法队员到场")
    with pytest.raises(Conflict):
        services.report_in(task=task, actor=w.dept_staff, report="again")
    case = services.resolve(case=case, actor=w.street_staff, result="联合整治完成")
    assert case.status == t.RESOLVED
    assert "whistled" in kinds(case) and "reported_in" in kinds(case)


def test_hold_pauses_the_clock_and_resume_extends_the_deadline(w):
    start = timezone.now()
    case = w.to_accepted(at=start)
    due = Case.objects.get(pk=case.pk).resolve_due
    services.hold(case=case, actor=w.steward, reason="等待配件", at=start + timedelta(hours=1))
    case = services.resume(case=case, actor=w.steward, at=start + timedelta(hours=4))
    assert case.resolve_due == due + timedelta(hours=3)
    assert case.status == t.ACCEPTED and case.paused_at is None


def test_unsatisfied_rating_reworks_then_escalates(w, django_capture_on_commit_callbacks):
    case = w.to_resolved(reporter=w.resident)
    case = services.rate(case=case, actor=w.resident, score="unsatisfied", solved=False, comment="还没清理干净")
    assert (case.status, case.rework_count, case.handler_user) == (t.DISPATCHED, 1, w.steward)
    assert case.public is False and case.resolved_level == ""
    services.accept(case=case, actor=w.steward)
    case = services.resolve(case=case, actor=w.steward, result="再次清理")
    with pytest.raises(PermissionDenied):
        services.rate(case=case, actor=w.steward, score="satisfied", solved=True)
    case = services.rate(case=case, actor=w.resident, score="basically", solved=False)
    assert (case.status, case.rework_count, case.level, case.handler_user) == (t.TRIAGED, 2, "grid", None)
    assert kinds(case).count("rework") == 2
    assert Rating.objects.filter(case=case).count() == 2


def test_rating_twice_is_refused(w):
    case = w.to_resolved(reporter=w.resident)
    services.rate(case=case, actor=w.resident, score="satisfied", solved=True)
    with pytest.raises(DomainError, match="only a resolved case"):
        services.rate(case=case, actor=w.resident, score="satisfied", solved=True)


def test_merged_duplicates_follow_the_parent_and_their_reporters_rate_it(w):
    parent = w.submit(reporter=w.resident)
    from gongzhi.accounts.tests.factories import UserFactory

    neighbour = UserFactory()
    dup = w.submit(reporter=neighbour, title="楼道杂物没人管")
    dup = services.merge(case=dup, into=parent, actor=w.dispatcher)
    assert (dup.status, dup.merged_into) == (t.MERGED, parent)
    before = snapshot(dup)
    with pytest.raises(t.TransitionError):
        services.triage(case=dup, actor=w.dispatcher, category=w.category)
    assert snapshot(dup) == before
    services.triage(case=parent, actor=w.dispatcher, category=w.category)
    services.dispatch(case=parent, actor=w.dispatcher, user=w.steward)
    services.accept(case=parent, actor=w.steward)
    services.resolve(case=parent, actor=w.steward, result="已清理")
    services.rate(case=dup, actor=neighbour, score="satisfied", solved=True)
    assert Rating.objects.get(via_case=dup).case == parent
    assert Case.objects.get(pk=dup.pk).status == t.MERGED
    assert Case.objects.get(pk=parent.pk).status == t.CLOSED


def test_on_the_spot_resolution_at_intake(w):
    case = w.submit(channel="walk_in", recorded_by=w.grid_worker, title="居民咨询垃圾分类")
    case = services.resolve(case=case, actor=w.grid_worker, result="现场解答", on_the_spot=True)
    assert (case.status, case.on_the_spot, case.resolved_level, case.handler_user) == (
        t.RESOLVED,
        True,
        "grid",
        w.grid_worker,
    )
    other = w.submit(channel="walk_in", recorded_by=w.grid_worker)
    with pytest.raises(PermissionDenied):
        services.resolve(case=other, actor=w.steward, result="x", on_the_spot=True)


def test_reject_tells_the_reporter_and_closes(w):
    case = services.reject(case=w.submit(), actor=w.dispatcher, reason="重复的广告信息")
    assert case.status == t.REJECTED and case.sla_state == "done"


def test_sweep_warns_then_supervises_then_escalates(w, django_capture_on_commit_callbacks):
    start = timezone.now()
    case = w.to_accepted(at=start)  # 24 h wall-clock target, grace 60 min
    assert services.sweep(at=start + timedelta(hours=1))["warned"] == 0
    counts = services.sweep(at=start + timedelta(hours=20))
    assert counts["warned"] == 1 and Case.objects.get(pk=case.pk).sla_state == "warning"
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.sweep(at=start + timedelta(hours=24, minutes=1))
    case.refresh_from_db()
    assert counts["breached"] == 1 and case.sla_state == "breached"
    assert SupervisionNotice.objects.filter(case=case, kind="breach").count() == 1
    assert services.sweep(at=start + timedelta(hours=24, minutes=30))["escalated"] == 0
    services.sweep(at=start + timedelta(hours=25, minutes=5))
    case.refresh_from_db()
    assert (case.status, case.level, case.handler_user) == (t.TRIAGED, "grid", None)
    assert kinds(case)[-4:] == ["sla_warning", "sla_breached", "supervised", "escalated"]
    # Nothing more happens until something changes.
    assert services.sweep(at=start + timedelta(hours=26))["escalated"] == 0


def test_sweep_closes_cases_left_unrated(w):
    start = timezone.now()
    case = w.to_resolved(at=start)
    services.sweep(at=start + timedelta(days=8))
    assert Case.objects.get(pk=case.pk).status == t.CLOSED
    assert kinds(case)[-1] == "closed"


def test_case_scoping_out_of_scope_is_not_found(w):
    case = w.submit()
    assert selectors.case_for(w.dispatcher, case.pk) == case
    assert selectors.case_for(w.centre, case.pk) == case
    with pytest.raises(NotFound):
        selectors.case_for(w.other_dispatcher, case.pk)
    with pytest.raises(NotFound):
        selectors.case_for(w.resident, case.pk)
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, department=w.department)
    assert selectors.case_for(w.dept_staff, case.pk) == case


def test_daily_clearance_lists_what_is_due_and_not_resolved(w):
    today = timezone.localdate()
    start = timezone.now() - timedelta(days=2)
    late = w.to_accepted(at=start)
    done = w.to_resolved(at=start)
    rows = selectors.daily_clearance(w.community, today)
    assert [r.case.pk for r in rows] == [late.pk]
    assert rows[0].overdue
    assert done.pk not in [r.case.pk for r in rows]


def test_people_hear_about_their_cases_after_commit(w, django_capture_on_commit_callbacks):
    from gongzhi.notifications import backends
    from gongzhi.notifications.models import Notification

    backends.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = w.submit(reporter_phone="13800138000")
        services.triage(case=case, actor=w.dispatcher, category=w.category)
        services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    # Both stewards of the pool get the task; nobody else does.
    tasks = Notification.objects.filter(kind="case.new_task", subject=f"case:{case.pk}")
    assert set(tasks.values_list("recipient", flat=True)) == {w.steward.pk, w.steward2.pk}
    assert case.tracking_code in tasks.first().body
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(case=case, actor=w.steward)
        services.resolve(case=case, actor=w.steward, result="已清理")
    texts = [m.body for m in backends.outbox if m.phone == "13800138000"]
    assert len(texts) == 3  # received, accepted, resolved (please rate)
    assert all(case.tracking_code in body for body in texts)
    assert "评价" in texts[-1]
    # A denied action notifies nobody.
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.supervise(case=case, actor=w.steward, reason="催办")
    assert Notification.objects.count() == before


def test_triage_takes_the_categorys_urgency_and_its_deadlines(w):
    gas = category(
        w.jurisdiction, "energy.gas_leak", level="district", urgency="emergency", response=30, resolve=24 * 60
    )
    from gongzhi.cases.models import SlaPolicy

    SlaPolicy.objects.filter(category=gas, urgency="emergency").update(response_minutes=15, resolve_minutes=120)
    case = w.submit(title="楼道里有煤气味")
    case = services.triage(case=case, actor=w.dispatcher, category=gas)
    assert case.urgency == "emergency"
    assert case.response_due == case.submitted_at + timedelta(minutes=15)
    assert case.resolve_due == case.submitted_at + timedelta(minutes=120)
    assert (case.level, case.owner_node) == ("district", w.district)
    # Re-triage to another category keeps the urgency the case now has, unless told.
    case = services.triage(case=case, actor=w.centre, category=w.category)
    assert case.urgency == "emergency"
