import pytest
from django.db import IntegrityError

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.grid import roles, selectors, services
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import DepartmentFactory, JurisdictionFactory, make_node, make_tree, post

pytestmark = pytest.mark.django_db


def levels_below(node):
    return {n.level for n in selectors.subtree(node)}


def test_full_tree_has_five_levels_and_paths_nest():
    district = make_tree(2)
    counts = {
        lvl: GridNode.objects.filter(jurisdiction=district.jurisdiction, level=lvl).count() for lvl in roles.LEVELS
    }
    assert counts == {"district": 1, "street": 2, "community": 4, "grid": 8, "micro_grid": 16}
    for node in GridNode.objects.filter(jurisdiction=district.jurisdiction).select_related("parent"):
        assert len(node.path) == 4 * (node.level_index + 1)
        if node.parent:
            assert node.path.startswith(node.parent.path)


def test_subtree_query_returns_exactly_the_descendants():
    district = make_tree(2)
    street = district.children.order_by("path").first()
    sub = set(selectors.subtree(street).values_list("pk", flat=True))
    # 1 street + 2 communities + 4 grids + 8 micro-grids
    assert len(sub) == 15
    expected = {street.pk}
    frontier = [street]
    while frontier:
        kids = list(GridNode.objects.filter(parent__in=frontier))
        expected |= {k.pk for k in kids}
        frontier = kids
    assert sub == expected


def test_subtree_prefix_does_not_leak_into_a_sibling_with_a_longer_index():
    district = make_node(None)
    streets = [make_node(district) for _ in range(40)]  # segment '0001' vs '0011' etc.
    first = streets[1]
    assert {n.pk for n in selectors.subtree(first)} == {first.pk}


def test_ancestors_in_order():
    district = make_tree(2)
    micro = GridNode.objects.filter(jurisdiction=district.jurisdiction, level="micro_grid").first()
    chain = list(selectors.ancestors(micro))
    assert [n.level for n in chain] == ["district", "street", "community", "grid"]
    assert list(selectors.ancestors(micro, include_self=True))[-1] == micro


def test_child_level_is_enforced():
    district = make_node(None)
    with pytest.raises(DomainError, match="street nodes, not community"):
        services.add_node(jurisdiction=district.jurisdiction, parent=district, level="community", code="x", name="x")
    with pytest.raises(DomainError, match="already has a district root"):
        services.add_node(jurisdiction=district.jurisdiction, parent=None, level="district", code="y", name="y")
    assert GridNode.objects.filter(jurisdiction=district.jurisdiction).count() == 1


def test_duplicate_code_is_refused_with_a_message():
    district = make_node(None, code="D1")
    make_node(district, code="S1")
    with pytest.raises(DomainError, match="'S1' is already used"):
        services.add_node(jurisdiction=district.jurisdiction, parent=district, level="street", code="S1", name="x")


def test_a_bad_boundary_is_refused():
    j = JurisdictionFactory()
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(DomainError, match="invalid polygon"):
        services.add_node(jurisdiction=j, parent=None, level="district", code="d", name="d", boundary=bowtie)
    assert not GridNode.objects.filter(jurisdiction=j).exists()


def test_community_post_sees_its_subtree_and_nothing_else():
    district = make_tree(2)
    community, other_community = GridNode.objects.filter(jurisdiction=district.jurisdiction, level="community")[:2]
    staff = post(roles.COMMUNITY_STAFF, node=community)
    visible = set(selectors.grid_nodes_visible_to(staff.user).values_list("pk", flat=True))
    assert visible == set(selectors.subtree(community).values_list("pk", flat=True))
    assert len(visible) == 7  # community + 2 grids + 4 micro-grids
    assert selectors.grid_node_for(staff.user, community.pk) == community
    with pytest.raises(NotFound):
        selectors.grid_node_for(staff.user, other_community.pk)
    with pytest.raises(NotFound):
        selectors.grid_node_for(staff.user, district.pk)
    with pytest.raises(NotFound):
        selectors.grid_node_for(staff.user, 99_999_999)


def test_scope_is_the_union_of_posts_and_other_jurisdictions_stay_hidden():
    district = make_tree(2)
    other = make_tree(2)
    grids = list(GridNode.objects.filter(jurisdiction=district.jurisdiction, level="grid")[:2])
    worker = post(roles.GRID_WORKER, node=grids[0])
    post(roles.GRID_WORKER, node=grids[1], user=worker.user)
    visible = selectors.grid_nodes_visible_to(worker.user)
    assert visible.count() == 6
    assert not visible.filter(jurisdiction=other.jurisdiction).exists()


def test_inactive_posts_and_anonymous_users_see_nothing():
    from django.contrib.auth.models import AnonymousUser

    district = make_tree(2)
    staff = post(roles.STREET_STAFF, node=district.children.first())
    staff.active = False
    staff.save()
    assert not selectors.grid_nodes_visible_to(staff.user).exists()
    assert not selectors.grid_nodes_visible_to(AnonymousUser()).exists()


def test_department_scope_is_its_service_area_or_the_whole_jurisdiction():
    district = make_tree(2)
    street = district.children.first()
    local = DepartmentFactory(jurisdiction=district.jurisdiction, service_area=street)
    wide = DepartmentFactory(jurisdiction=district.jurisdiction)
    a = post(roles.DEPARTMENT_STAFF, department=local)
    b = post(roles.DEPARTMENT_STAFF, department=wide)
    assert selectors.grid_nodes_visible_to(a.user).count() == 15
    assert selectors.grid_nodes_visible_to(b.user).count() == 31


def test_post_placement_rules():
    district = make_tree(2)
    micro = GridNode.objects.filter(jurisdiction=district.jurisdiction, level="micro_grid").first()
    with pytest.raises(DomainError, match="cannot be posted at district"):
        post(roles.STEWARD, node=district)
    with pytest.raises(DomainError, match="must be posted to a department"):
        post(roles.DEPARTMENT_STAFF, node=micro)
    with pytest.raises(DomainError, match="residents do not hold posts"):
        post(roles.RESIDENT, node=micro)
    assert post(roles.STEWARD, node=micro).node == micro


def test_database_refuses_a_post_on_both_node_and_department():
    from gongzhi.accounts.tests.factories import UserFactory
    from gongzhi.grid.models import StaffPost

    district = make_node(None)
    dept = DepartmentFactory(jurisdiction=district.jurisdiction)
    with pytest.raises(IntegrityError):
        StaffPost.objects.create(
            user=UserFactory(), jurisdiction=district.jurisdiction, role="admin", node=district, department=dept
        )


def test_user_can_checks_role_capability_and_scope():
    district = make_tree(2)
    community = GridNode.objects.filter(jurisdiction=district.jurisdiction, level="community").first()
    micro = selectors.subtree(community).filter(level="micro_grid").first()
    staff = post(roles.COMMUNITY_STAFF, node=community)
    assert selectors.user_can(staff.user, roles.CASE_DISPATCH, micro)
    assert not selectors.user_can(staff.user, roles.CASE_DISPATCH, district)
    assert not selectors.user_can(staff.user, roles.GRID_MANAGE, micro)


def test_staff_cards_show_the_chain_up_to_the_community_nearest_first():
    district = make_tree(2)
    micro = GridNode.objects.filter(jurisdiction=district.jurisdiction, level="micro_grid").first()
    chain = {n.level: n for n in selectors.ancestors(micro, include_self=True)}
    post(roles.STEWARD, node=micro, title="小管家", public_phone="13800000001")
    post(roles.GRID_WORKER, node=chain["grid"], title="网格员", public_phone="13800000002")
    post(roles.COMMUNITY_STAFF, node=chain["community"], title="社区书记")
    post(roles.STREET_STAFF, node=chain["street"], title="街道干部")  # above the community: not on the card
    post(roles.STEWARD, node=micro, title="隐藏", is_public=False)
    cards = selectors.staff_cards(micro)
    assert [c.title for c in cards] == ["小管家", "网格员", "社区书记"]
    assert cards[0].phone == "13800000001"


def test_posts_primed_for_many_users_are_what_each_user_would_read(django_assert_num_queries):
    from django.contrib.auth import get_user_model

    district = make_tree(2)
    street = district.children.order_by("path").first()
    grid = GridNode.objects.filter(jurisdiction=district.jurisdiction, level="grid").order_by("path").first()
    two = post(roles.STREET_STAFF, node=street)
    post(roles.GRID_WORKER, node=grid, user=two.user)
    one = post(roles.DEPARTMENT_STAFF, department=DepartmentFactory(jurisdiction=district.jurisdiction))
    gone = post(roles.GRID_WORKER, node=grid)
    gone.active = False
    gone.save()
    users = get_user_model().objects.filter(pk__in=[two.user_id, one.user_id, gone.user_id])
    expected = {u.pk: [p.pk for p in selectors.active_posts(u)] for u in users}
    fresh = list(get_user_model().objects.filter(pk__in=expected))
    with django_assert_num_queries(1):
        selectors.prime_posts(fresh)
    with django_assert_num_queries(0):
        primed = {u.pk: [p.pk for p in selectors.active_posts(u)] for u in fresh}
        assert all(p.node is None or p.node.path for u in fresh for p in selectors.active_posts(u))
    assert primed == expected
    assert len(primed[two.user_id]) == 2 and len(primed[one.user_id]) == 1 and primed[gone.user_id] == []
