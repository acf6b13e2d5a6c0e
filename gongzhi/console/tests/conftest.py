"""Fixtures for the console tests: a small district with staff, and a Chromium session for browser tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.grid import roles
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import BuildingFactory, make_tree, post


@pytest.fixture(autouse=True)
def _existing_static_root(settings, tmp_path_factory):
    # WhiteNoise warns about a STATIC_ROOT that does not exist (nobody ran collectstatic); give it an empty one.
    static_root = tmp_path_factory.getbasetemp() / "static-root"
    static_root.mkdir(exist_ok=True)
    settings.STATIC_ROOT = static_root


@dataclass
class District:
    district: GridNode
    street: GridNode
    community: GridNode
    other_community: GridNode
    grid: GridNode
    micro_grid: GridNode


def _first(node: GridNode) -> GridNode:
    return node.children.order_by("sort_order", "path").first()


@pytest.fixture
def district() -> District:
    """make_tree(2): 1 district, 2 streets, 4 communities, 8 grids, 16 micro-grids, with Chinese names."""
    root = make_tree(2)
    root.name = "示范区"
    root.save(update_fields=["name"])
    street = _first(root)
    community, other = street.children.order_by("path")[:2]
    grid = _first(community)
    micro = _first(grid)
    for i, node in enumerate(
        GridNode.objects.filter(jurisdiction=root.jurisdiction).exclude(pk=root.pk).order_by("path"), start=1
    ):
        label = {roles.STREET: "街道", roles.COMMUNITY: "社区", roles.GRID: "网格", roles.MICRO_GRID: "微网格"}
        node.name = f"第{i}{label[node.level]}"
        node.save(update_fields=["name"])
    for n in (street, community, other, grid, micro):
        n.refresh_from_db()
    lon, lat = micro.boundary["coordinates"][0][0]
    BuildingFactory(node=micro, name="1号楼", households=24, lat=lat + 0.001, lon=lon + 0.001)
    BuildingFactory(node=micro, name="2号楼", households=36)
    return District(root, street, community, other, grid, micro)


@pytest.fixture
def community_worker(district):
    """A community staff member posted on the first community, shown to residents with duty and phone."""
    return post(
        roles.COMMUNITY_STAFF,
        user=UserFactory(username="wangfang", display_name="王芳"),
        node=district.community,
        title="社区书记",
        duty="统筹社区治理和网格服务",
        public_phone="028-8888-0001",
    ).user


@pytest.fixture
def grid_worker(district):
    return post(
        roles.GRID_WORKER,
        user=UserFactory(username="lijun", display_name="李军"),
        node=district.grid,
        title="专职网格员",
        duty="巡查走访、收集民意、上报问题",
        public_phone="138-0000-1234",
    ).user
