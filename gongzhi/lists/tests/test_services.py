"""Needs, resources and projects: what each service writes, the need → project → resource links, the events, and
refusals that change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from gongzhi.lists import selectors, services
from gongzhi.lists import transitions as t
from gongzhi.lists.models import Need, NeedEvent, Project, Resource
from gongzhi.lists.tests.factories import ListsWorld, lists_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> ListsWorld:
    return lists_world()


def _events(need: Need) -> list[tuple[str, str, str, int | None, str]]:
    return [
        (e.action, e.from_status, e.to_status, e.actor_id, e.note)
        for e in NeedEvent.objects.filter(need=need).order_by("at", "pk")
    ]


def test_a_need_is_recorded_collected_with_one_event(w):
    need = w.need(note="问卷 32 份")
    need.refresh_from_db()
    assert (need.status, need.households, need.node_id, need.case_id) == ("collected", 12, w.community.pk, None)
    assert _events(need) == [("create", "", "collected", w.staff.pk, "问卷 32 份")]


def test_linking_a_project_matches_and_delivering_serves(w):
    a, b = w.need(), w.need(title="儿童托管", category="children")
    project = w.project(needs=[a])
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == ("matched", "collected")
    assert list(project.needs.all()) == [a]
    assert project.provider.projects.get() == project
    assert _events(a)[1:] == [("match", "collected", "matched", w.staff.pk, "老年助餐")]
    # The project starts: every need it answers is served; a need added at the same time goes through matched.
    services.save_project(
        actor=w.staff,
        node=w.community,
        project=project,
        needs=[a, b],
        name=project.name,
        category=project.category,
        provider=project.provider,
        delivery=project.delivery,
        price=project.price,
        status="active",
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == ("served", "served")
    assert [e[0] for e in _events(b)] == ["create", "match", "serve"]
    assert [e[0] for e in _events(a)] == ["create", "match", "serve"]
    assert set(a.projects.all()) == {project}


def test_close_and_reopen_with_a_reason(w):
    need = w.need()
    with pytest.raises(t.TransitionError):
        services.change_need(actor=w.staff, need=need, action="close", note="")
    assert _events(need) == [("create", "", "collected", w.staff.pk, "")]
    services.change_need(actor=w.staff, need=need, action="close", note="重复登记")
    services.change_need(actor=w.staff, need=need, action="reopen", note="核实后不重复")
    need.refresh_from_db()
    assert need.status == "collected"
    assert [e[:3] for e in _events(need)] == [
        ("create", "", "collected"),
        ("close", "collected", "closed"),
        ("reopen", "closed", "collected"),
    ]
    with pytest.raises(DomainError, match="through its projects"):
        services.change_need(actor=w.staff, need=need, action="match")


def test_one_need_per_case(w):
    w.need(case_id=41, case_code="ABC123", source="case")
    with pytest.raises(Conflict, match="already turned into a need"):
        w.need(case_id=41, case_code="ABC123", source="case")
    assert Need.objects.filter(case_id=41).count() == 1
    assert selectors.need_for_case(41).case_code == "ABC123"
    assert selectors.need_for_case(42) is None


def test_refusals_write_nothing(w):
    with pytest.raises(PermissionDenied):
        w.need(actor=w.other_staff)
    with pytest.raises(PermissionDenied):
        w.need(actor=w.grid_worker)  # reads the lists, does not keep them
    with pytest.raises(DomainError, match="required"):
        w.need(title="  ")
    with pytest.raises(DomainError, match="Unknown category"):
        w.need(category="magic")
    with pytest.raises(DomainError, match="Households"):
        w.need(households=-1)
    with pytest.raises(DomainError, match="community or a grid"):
        w.need(node=w.street, actor=w.street_staff)
    assert (Need.objects.count(), NeedEvent.objects.count()) == (0, 0)
    with pytest.raises(DomainError, match="both latitude and longitude"):
        w.resource(lat=30.1)
    with pytest.raises(DomainError, match="expire before"):
        w.resource(agreement_signed=date(2026, 5, 1), agreement_expires=date(2026, 4, 1))
    assert Resource.objects.count() == 0
    other_provider = w.resource(actor=w.other_staff, node=w.other_community)
    with pytest.raises(DomainError, match="not a resource of"):
        w.project(provider=other_provider)
    with pytest.raises(DomainError, match="to the fen"):
        w.project(price=Decimal("-1"))
    with pytest.raises(DomainError, match="to the fen"):
        w.project(price=Decimal("1.234"))
    other_need = w.need(actor=w.other_staff, node=w.other_community)
    with pytest.raises(DomainError, match="is not in"):
        w.project(needs=[other_need])
    assert Project.objects.count() == 0
    other_need.refresh_from_db()
    assert other_need.status == "collected"


def test_free_projects_and_prices(w):
    free = w.project(price=Decimal("0"), name="免费理发")
    assert free.is_free
    paid = w.project(price=Decimal("12.50"))
    paid.refresh_from_db()
    assert paid.price == Decimal("12.50") and not paid.is_free


def test_scope_of_reads(w):
    need, resource = w.need(), w.resource()
    project = w.project(provider=resource, needs=[need])
    other = w.need(actor=w.other_staff, node=w.other_community)
    assert list(selectors.needs_visible_to(w.staff)) == [need]
    assert list(selectors.needs_visible_to(w.grid_worker)) == [need]  # a grid worker reads their community's
    assert w.other_community.parent_id != w.street.pk  # in another street
    assert list(selectors.needs_visible_to(w.street_staff)) == [need]
    assert set(selectors.needs_visible_to(w.leader)) == {need, other}
    assert list(selectors.needs_visible_to(w.dept_staff)) == []
    assert selectors.project_for(w.grid_worker, project.pk) == project
    with pytest.raises(NotFound):
        selectors.need_for(w.other_staff, need.pk)
    with pytest.raises(NotFound):
        selectors.resource_for(w.dept_staff, resource.pk)
    with pytest.raises(NotFound):
        selectors.project_for(w.staff, "x")
    assert selectors.can_manage(w.staff) and not selectors.can_manage(w.grid_worker)
    assert selectors.can_view(w.grid_worker) and not selectors.can_view(w.dept_staff)
    assert list(selectors.communities(w.grid_worker)) == [w.community]


def test_masked_contact_phone(w):
    resource = w.resource()
    resource.refresh_from_db()
    assert resource.contact_phone == "13812345678"
    assert resource.masked_contact_phone == "138****5678"


def test_community_figures(w):
    a, b, c = w.need(), w.need(), w.need()
    services.change_need(actor=w.staff, need=c, action="close", note="已解决")
    w.project(needs=[a])
    w.project(needs=[], status="active")
    counts = selectors.community_counts([w.community, w.other_community])
    assert counts[w.community.pk] == {
        "needs_collected": 1,
        "needs_matched": 1,
        "needs_closed": 1,
        "projects_planned": 1,
        "projects_active": 1,
        "resources": 2,
    }
    assert counts[w.other_community.pk] == {"resources": 0}
    assert b.pk
