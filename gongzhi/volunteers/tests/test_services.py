from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from gongzhi.core import timeutil
from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import StaffPost
from gongzhi.volunteers import services
from gongzhi.volunteers.models import Approval, Hours, SignUp, Steward
from gongzhi.volunteers.tests.factories import people_world

pytestmark = pytest.mark.django_db


def test_vetting_needs_both_approvals_then_appointment_gives_a_post_and_a_card() -> None:
    w = people_world()
    application = w.application()
    with pytest.raises(DomainError):  # community staff do not speak for the street
        services.vet(application=application, actor=w.staff, level="street", approved=True, reason="x")
    with pytest.raises(NotFound):
        services.vet(application=application, actor=w.other_staff, level="community", approved=True, reason="x")
    services.vet(application=application, actor=w.staff, level="community", approved=True, reason="熟悉小区")
    with pytest.raises(Conflict):  # one approval is not enough
        services.appoint(application=application, actor=w.staff, username="gj_liu")
    with pytest.raises(Conflict):  # the community spoke already
        services.vet(application=application, actor=w.staff, level="community", approved=True, reason="again")
    application = services.vet(
        application=application, actor=w.street_staff, level="street", approved=True, reason="同意"
    )
    assert application.status == "approved" and Approval.objects.filter(application=application).count() == 2
    steward = services.appoint(application=application, actor=w.staff, username="gj_liu", public_phone="13500000000")
    assert (steward.post.role, steward.post.node, steward.post.active, steward.post.title) == (
        roles.STEWARD, w.micro_grid, True, "红色小管家",
    )  # fmt: skip
    assert [card.name for card in grid_selectors.staff_cards(w.micro_grid)].count(str(steward.user)) == 1
    assert not steward.user.has_usable_password()


def test_a_refusal_by_either_side_rejects() -> None:
    w = people_world()
    application = w.application()
    services.vet(application=application, actor=w.street_staff, level="street", approved=False, reason="不在本街道居住")
    application.refresh_from_db()
    assert application.status == "rejected"
    with pytest.raises(Conflict):
        services.vet(application=application, actor=w.staff, level="community", approved=True, reason="x")


def test_a_stepped_down_steward_loses_case_access_at_once() -> None:
    w = people_world()
    steward = services.appoint(application=w.approved(), actor=w.staff, username="gj_zhao")
    assert grid_selectors.user_can(steward.user, roles.CASE_ACCEPT, w.micro_grid)
    services.step_down(steward=steward, actor=w.staff, reason="搬离小区")
    user = type(steward.user).objects.get(pk=steward.user.pk)  # the next request's user
    assert not grid_selectors.user_can(user, roles.CASE_VIEW, w.micro_grid)
    assert not StaffPost.objects.get(pk=steward.post_id).active
    assert str(user) not in [card.name for card in grid_selectors.staff_cards(w.micro_grid)]
    assert Steward.objects.get(pk=steward.pk).status == "stepped_down"


def test_a_part_time_steward_reports_but_handles_no_case() -> None:
    w = people_world()
    steward = services.appoint(
        application=w.approved(kind="part_time", occupation="courier"), actor=w.staff, username="jz_1"
    )
    assert steward.post.role == roles.PATROL
    assert grid_selectors.user_can(steward.user, roles.CASE_RECORD, w.micro_grid)
    assert not grid_selectors.user_can(steward.user, roles.CASE_ACCEPT, w.micro_grid)
    assert not grid_selectors.user_can(steward.user, roles.CASE_HANDLE, w.micro_grid)


def test_activity_places_waiting_list_and_promotion() -> None:
    w = people_world()
    activity = w.activity(capacity=1)
    first, second = w.volunteer(), w.volunteer()
    a = services.sign_up(activity=activity, volunteer=first)
    b = services.sign_up(activity=activity, volunteer=second)
    assert (a.status, b.status) == ("confirmed", "waiting")
    with pytest.raises(Conflict):
        services.sign_up(activity=activity, volunteer=first)
    services.cancel_sign_up(sign_up=a, volunteer=first)
    assert SignUp.objects.get(pk=b.pk).status == "confirmed"
    activity.refresh_from_db()
    assert activity.taken == 1


def test_hours_from_check_in_and_out_across_midnight_then_approved() -> None:
    w = people_world()
    starts = timeutil.now().replace(hour=23, minute=0, second=0, microsecond=0) - timedelta(days=2)
    activity = w.activity(starts=starts, hours=3, title="夜间巡逻")
    volunteer = w.volunteer()
    services.sign_up(activity=activity, volunteer=volunteer, at=starts - timedelta(days=1))
    services.check_in(token=activity.check_in_token, volunteer=volunteer, at=starts + timedelta(minutes=5))
    with pytest.raises(NotFound):
        services.check_out(token="forged", volunteer=volunteer, at=starts + timedelta(hours=2))
    hours = services.check_out(
        token=activity.check_out_token, volunteer=volunteer, at=starts + timedelta(hours=2, minutes=35)
    )
    assert hours.hours == Decimal("2.50") and hours.status == "submitted"
    assert hours.day == timeutil.local(starts).date()
    with pytest.raises(NotFound):
        services.decide_hours(hours=hours, actor=w.other_staff, approved=True)
    with pytest.raises(DomainError):
        services.decide_hours(hours=hours, actor=w.staff, approved=False, reason="")
    services.decide_hours(hours=hours, actor=w.staff, approved=True)
    assert Hours.objects.get(pk=hours.pk).status == "approved"


def test_bad_hours_refused() -> None:
    w = people_world()
    volunteer = w.volunteer()
    for value in ("0", "-1", "25", "NaN", "abc", "1e999"):
        with pytest.raises(DomainError):
            services.submit_hours(
                volunteer=volunteer, community=w.community, day=timeutil.local_today(), hours=value, description="x"
            )
    assert not Hours.objects.exists()


def test_contact_points_and_problems_taken_on() -> None:
    w = people_world()
    year = timeutil.local_today().year
    with pytest.raises(NotFound):
        services.add_contact_point(actor=w.staff, leader=w.leader, kind="community", node=w.community, year=year)
    point = services.add_contact_point(actor=w.admin, leader=w.leader, kind="community", node=w.community, year=year)
    assert point.target == 3
    with pytest.raises(DomainError):  # not a leader
        services.add_contact_point(actor=w.admin, leader=w.staff, kind="community", node=w.community, year=year)
    taken = services.take_on(contact_point=point, actor=w.leader, kind="case", ref_id=7, title="小区停车难", code="T7")
    with pytest.raises(Conflict):
        services.take_on(contact_point=point, actor=w.leader, kind="case", ref_id=7, title="again")
    with pytest.raises(NotFound):
        services.take_on(contact_point=point, actor=w.staff, kind="case", ref_id=8, title="x")
    services.mark_solved(taken_on=taken, solved_on=timeutil.local_today())
