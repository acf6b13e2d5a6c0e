import collections
import io

import pytest
import shapely
from django.core.management import call_command

from gongzhi.accounts.models import User
from gongzhi.grid import demo, demo_layout, location, roles
from gongzhi.grid.models import Building, Compound, Department, GridNode, StaffPost


@pytest.fixture(scope="module")
def layout():
    return demo_layout.build_layout()


def test_layout_has_the_shape_of_a_real_county_district(layout):
    counts = collections.Counter(n.level for n in layout)
    assert counts == {"district": 1, "street": 4, "community": 17, "grid": 115, "micro_grid": 988}
    codes = [n.code for n in layout]
    assert len(set(codes)) == len(codes)
    assert all(n.geometry.geom_type == "Polygon" and n.geometry.is_valid for n in layout)


@pytest.mark.parametrize("level", ["street", "community", "grid", "micro_grid"])
def test_each_level_covers_the_district_without_overlap(layout, level):
    district = layout[0].geometry
    cells = [n.geometry for n in layout if n.level == level]
    union = shapely.union_all(cells)
    assert union.symmetric_difference(district).area / district.area < 1e-5
    # Overlap = sum of areas minus area of the union; only floating-point slivers allowed.
    assert (sum(c.area for c in cells) - union.area) / district.area < 1e-5


def test_children_lie_inside_their_parent(layout):
    by_code = {n.code: n for n in layout}
    for node in layout[1:]:
        parent = by_code[node.parent_code]
        # Snapping every polygon to 1e-7° (~1 cm) leaves centimetre-wide slivers along parent edges, nothing more.
        assert node.geometry.difference(parent.geometry).area / node.geometry.area < 1e-4, node.code


def test_layout_is_deterministic():
    a = demo_layout.build_layout(7)
    b = demo_layout.build_layout(7)
    assert [(n.code, n.geometry.wkt) for n in a] == [(n.code, n.geometry.wkt) for n in b]


def _counts():
    return {
        model.__name__: model.objects.count() for model in (GridNode, Department, Compound, Building, User, StaffPost)
    }


@pytest.mark.django_db
def test_demo_command_builds_the_district_and_is_idempotent():
    out = io.StringIO()
    call_command("demo", stdout=out)
    first = _counts()
    assert first["GridNode"] == 1125
    assert first["Department"] == 22
    assert first["Building"] > 1500
    assert first["User"] == first["StaffPost"]
    text = out.getvalue()
    for username in ("admin", "zhihui", "leader", "jd01", "sq01", "wg001", "gj0001", "bm01"):
        assert f"  {username} " in text
    assert "gongzhi-demo" in text
    assert "GONGZHI_DEMO=true" in text  # the note: tests run outside demo mode, where these logins are refused

    call_command("demo", stdout=io.StringIO())
    assert _counts() == first

    # Every role that holds posts has a demo user, and each post passes the placement rules.
    assert set(StaffPost.objects.values_list("role", flat=True)) == set(roles.ROLES) - {roles.RESIDENT}
    for role, level, on_department in StaffPost.objects.values_list("role", "node__level", "department").distinct():
        assert roles.post_placement_error(role, level=level, on_department=on_department is not None) is None
    # Paths nest and the tree queries agree with the codes.
    jurisdiction = GridNode.objects.get(code="DEMO").jurisdiction
    community = GridNode.objects.get(jurisdiction=jurisdiction, code="S01C01")
    assert GridNode.objects.filter(path__startswith=community.path, level="micro_grid").count() == sum(
        1 for n in demo_layout.build_layout() if n.code.startswith("S01C01") and n.level == "micro_grid"
    )


@pytest.mark.django_db
def test_demo_buildings_are_located_in_their_own_micro_grid():
    call_command("demo", stdout=io.StringIO())
    jurisdiction = GridNode.objects.get(code="DEMO").jurisdiction
    wrong = [
        b.code
        for b in Building.objects.filter(jurisdiction=jurisdiction)
        if location.locate(jurisdiction.pk, b.lat, b.lon).node_id != b.node_id
    ]
    assert wrong == []


@pytest.mark.django_db
def test_demo_users_can_log_in_with_the_demo_password(client, settings):
    demo.build_demo(password="demo-pass-123")
    assert client.login(username="sq01", password="demo-pass-123")
    assert not client.login(username="sq01", password="wrong")
