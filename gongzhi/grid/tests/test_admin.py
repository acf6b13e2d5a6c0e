import pytest
from django.contrib import admin
from django.urls import reverse

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.grid.models import GridNode, Jurisdiction
from gongzhi.grid.tests.factories import BuildingFactory, make_tree, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_every_model_has_a_chinese_admin_that_renders(superuser_client):
    district = make_tree(2)
    BuildingFactory(node=GridNode.objects.filter(level="micro_grid").first(), jurisdiction=district.jurisdiction)
    post("community_staff", node=GridNode.objects.filter(level="community").first())
    for model, _model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = superuser_client.get(
            reverse("admin:{}_{}_changelist".format(*info)), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        assert changelist.status_code == 200, info
        first = model._default_manager.first()
        if first is not None:
            change = superuser_client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            assert change.status_code == 200, info
    index = superuser_client.get(reverse("admin:index"))
    assert "网格节点" in index.content.decode()


def test_admin_refuses_a_node_at_the_wrong_level_and_writes_nothing(superuser_client):
    district = make_tree(2)
    before = GridNode.objects.count()
    response = superuser_client.post(
        reverse("admin:grid_gridnode_add"),
        {
            "jurisdiction": district.jurisdiction.pk,
            "parent": district.pk,
            "level": "grid",
            "code": "X1",
            "name": "错层",
            "boundary": "",
            "sort_order": 0,
        },
    )
    assert response.status_code == 200
    assert "street" in response.content.decode() or "街道" in response.content.decode()
    assert GridNode.objects.count() == before


def test_admin_boundary_edit_bumps_the_version(superuser_client):
    district = make_tree(2)
    micro = GridNode.objects.filter(level="micro_grid").first()
    version = Jurisdiction.objects.get(pk=district.jurisdiction_id).boundary_version
    boundary = '{"type": "Polygon", "coordinates": [[[120, 30], [120.01, 30], [120.01, 30.01], [120, 30]]]}'
    response = superuser_client.post(
        reverse("admin:grid_gridnode_change", args=[micro.pk]),
        {
            "jurisdiction": micro.jurisdiction_id,
            "parent": micro.parent_id,
            "level": micro.level,
            "code": micro.code,
            "name": micro.name,
            "boundary": boundary,
            "sort_order": 0,
        },
    )
    assert response.status_code == 302
    micro.refresh_from_db()
    assert micro.boundary["coordinates"][0][1] == [120.01, 30]
    assert Jurisdiction.objects.get(pk=district.jurisdiction_id).boundary_version == version + 1


def test_admin_refuses_a_self_intersecting_boundary(superuser_client):
    make_tree(2)
    micro = GridNode.objects.filter(level="micro_grid").first()
    old = micro.boundary
    bowtie = '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}'
    response = superuser_client.post(
        reverse("admin:grid_gridnode_change", args=[micro.pk]),
        {
            "jurisdiction": micro.jurisdiction_id,
            "parent": micro.parent_id,
            "level": micro.level,
            "code": micro.code,
            "name": micro.name,
            "boundary": bowtie,
            "sort_order": 0,
        },
    )
    assert response.status_code == 200
    micro.refresh_from_db()
    assert micro.boundary == old


def test_staff_without_admin_rights_cannot_open_the_admin(client):
    district = make_tree(2)
    staff = post("community_staff", node=GridNode.objects.filter(level="community").first())
    client.force_login(staff.user)
    response = client.get(reverse("admin:grid_gridnode_changelist"))
    assert response.status_code == 302
    assert district.pk  # tree exists; nothing listed to a non-admin
