"""代办 on the volunteers' side: an errand goes only to a volunteer reported in to the community (approved); only
that volunteer answers it, in the right order; staff take it back; a refusal changes nothing."""

from __future__ import annotations

import pytest

from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.grid import roles
from gongzhi.grid.tests.factories import post
from gongzhi.volunteers import selectors, services
from gongzhi.volunteers.models import Errand
from gongzhi.volunteers.tests.factories import people_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw():
    return people_world()


def vetted(pw, **kw):
    volunteer = pw.volunteer(**kw)
    entry = services.report_in(volunteer=volunteer, community=pw.community)
    services.decide_report_in(report_in=entry, actor=pw.staff, approved=True)
    return volunteer


def offer(pw, volunteer, **kw):
    kw.setdefault("actor", pw.staff)
    return services.offer_errand(
        volunteer=volunteer,
        community=kw.pop("community", pw.community),
        case_id=kw.pop("case_id", 41),
        tracking_code="2612ABCDEF",
        summary="生活代办 · 幸福里小区 3号楼",
        note=kw.pop("note", "买降压药两盒"),
        **kw,
    )


def states():
    return list(Errand.objects.order_by("pk").values_list("pk", "status", "result", "answered_at", "done_at"))


def test_only_a_volunteer_reported_in_and_approved_is_offered_an_errand(pw):
    living_here = pw.volunteer(name="王邻居")  # home community, not reported in
    pending = pw.volunteer(name="赵待审")
    services.report_in(volunteer=pending, community=pw.community)
    elsewhere = pw.volunteer(name="钱外区")
    entry = services.report_in(volunteer=elsewhere, community=pw.other_community)
    services.decide_report_in(report_in=entry, actor=pw.other_staff, approved=True)
    for volunteer in (living_here, pending, elsewhere):
        with pytest.raises(DomainError, match="not reported in") as refused:
            offer(pw, volunteer)
        assert refused.value.code == "not_reported_in"
    assert not Errand.objects.exists()
    ok = vetted(pw, name="张志愿")
    errand = offer(pw, ok)
    assert (errand.status, errand.volunteer, errand.community, errand.given_by) == ("offered", ok, pw.community,
                                                                                    pw.staff)  # fmt: skip
    assert [(v.id, v.label) for v in selectors.volunteers_for_errand(pw.community)] == [(ok.pk, "张**")]
    with pytest.raises(Conflict):  # one live errand per case and volunteer
        offer(pw, ok)


def test_staff_of_another_community_may_not_offer_or_withdraw(pw):
    volunteer = vetted(pw)
    with pytest.raises(NotFound):
        offer(pw, volunteer, actor=pw.other_staff)
    steward = post(roles.STEWARD, node=pw.micro_grid).user  # under the community: may
    errand = offer(pw, volunteer, actor=steward)
    with pytest.raises(NotFound):
        services.withdraw_errand(errand=errand, actor=pw.other_staff)
    assert Errand.objects.get(pk=errand.pk).status == "offered"
    assert services.withdraw_errand(errand=errand, actor=steward).status == "withdrawn"
    with pytest.raises(Conflict):
        services.withdraw_errand(errand=errand, actor=steward)


def test_only_its_volunteer_answers_in_order(pw):
    mine, other = vetted(pw, name="张志愿"), vetted(pw, name="李志愿")
    errand = offer(pw, mine)
    before = states()
    for act in (
        lambda: services.accept_errand(errand=errand.pk, volunteer=other),
        lambda: services.decline_errand(errand=errand.pk, volunteer=other),
        lambda: services.finish_errand(errand=errand.pk, volunteer=other, result="做完了"),
    ):
        with pytest.raises(NotFound):
            act()
    with pytest.raises(Conflict):  # not taken on yet
        services.finish_errand(errand=errand.pk, volunteer=mine, result="做完了")
    assert states() == before
    services.accept_errand(errand=errand.pk, volunteer=mine)
    with pytest.raises(Conflict):
        services.accept_errand(errand=errand.pk, volunteer=mine)
    with pytest.raises(DomainError):
        services.finish_errand(errand=errand.pk, volunteer=mine, result="  ")
    done = services.finish_errand(errand=errand.pk, volunteer=mine, result="药已送到")
    assert (done.status, done.result, done.done_at is not None) == ("done", "药已送到", True)
    for act in (
        lambda: services.decline_errand(errand=errand.pk, volunteer=mine),
        lambda: services.finish_errand(errand=errand.pk, volunteer=mine, result="again"),
    ):
        with pytest.raises(Conflict):
            act()
    assert [e.pk for e in selectors.errands_of(mine)] == [errand.pk]
    assert list(selectors.errands_of(other)) == []
    assert [e.pk for e in selectors.errands_for_case(41)] == [errand.pk]


def test_declined_the_errand_may_go_to_the_same_volunteer_again(pw):
    volunteer = vetted(pw)
    errand = offer(pw, volunteer)
    services.decline_errand(errand=errand.pk, volunteer=volunteer)
    again = offer(pw, volunteer)
    assert again.pk != errand.pk and again.status == "offered"


@pytest.mark.parametrize("pk", ["abc", "99999999999999999999", "-1", "", None])
def test_a_forged_id_finds_nothing(pw, pk):
    volunteer = vetted(pw)
    offer(pw, volunteer)
    with pytest.raises(NotFound):
        selectors.errand_of(volunteer, pk)
