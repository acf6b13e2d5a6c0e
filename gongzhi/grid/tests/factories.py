"""Factories for grid tests. Nodes are built through grid.services so paths and versions are real."""

from __future__ import annotations

import itertools
from typing import Any

import factory

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.grid import roles, services
from gongzhi.grid.models import Building, Compound, Department, GridNode, Jurisdiction, StaffPost

_codes = itertools.count(1)


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"j{n}")
    name = factory.Sequence(lambda n: f"测试区{n}")


def square(lat: float, lon: float, size: float) -> dict[str, Any]:
    """A GeoJSON square with its south-west corner at (lat, lon)."""
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]],
    }


def make_node(
    parent: GridNode | None,
    *,
    jurisdiction: Jurisdiction | None = None,
    name: str = "",
    boundary: dict[str, Any] | None = None,
    code: str = "",
) -> GridNode:
    jurisdiction = jurisdiction or (parent.jurisdiction if parent else JurisdictionFactory())
    level = roles.DISTRICT if parent is None else roles.child_level(parent.level)
    assert level is not None
    n = next(_codes)
    return services.add_node(
        jurisdiction=jurisdiction,
        parent=parent,
        level=level,
        code=code or f"N{n}",
        name=name or f"{level}-{n}",
        boundary=boundary,
    )


def make_tree(
    fanout: int = 2,
    *,
    jurisdiction: Jurisdiction | None = None,
    origin: tuple[float, float] = (30.0, 120.0),
    size: float = 0.16,
) -> GridNode:
    """A full five-level tree; every node is a square split into fanout x fanout... by rows (fanout children each).

    Children of a node split its square into ``fanout`` vertical strips, so micro-grids tile the district exactly.
    """
    lat0, lon0 = origin
    district = make_node(None, jurisdiction=jurisdiction, boundary=square(lat0, lon0, size), name="测试区")

    def split(node: GridNode, lat: float, lon: float, width: float, height: float, depth: int) -> None:
        if depth == len(roles.LEVELS) - 1:
            return
        step = width / fanout
        for i in range(fanout):
            child_box = _box(lat, lon + i * step, step, height)
            child = make_node(node, boundary=child_box)
            # Alternate the split direction so shapes stay squarish.
            split_rot(child, lat, lon + i * step, step, height, depth + 1)

    def split_rot(node: GridNode, lat: float, lon: float, width: float, height: float, depth: int) -> None:
        if depth == len(roles.LEVELS) - 1:
            return
        step = height / fanout
        for i in range(fanout):
            child = make_node(node, boundary=_box(lat + i * step, lon, width, step))
            split(child, lat + i * step, lon, width, step, depth + 1)

    split(district, lat0, lon0, size, size, 0)
    return district


def _box(lat: float, lon: float, width: float, height: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + width, lat], [lon + width, lat + height], [lon, lat + height], [lon, lat]]],
    }


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    code = factory.Sequence(lambda n: f"D{n}")
    name = factory.Sequence(lambda n: f"测试部门{n}")


class CompoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Compound

    node = factory.LazyFunction(lambda: make_node(None))
    jurisdiction = factory.LazyAttribute(lambda o: o.node.jurisdiction)
    code = factory.Sequence(lambda n: f"C{n}")
    name = factory.Sequence(lambda n: f"幸福{n}小区")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    node = factory.LazyFunction(lambda: make_node(None))
    jurisdiction = factory.LazyAttribute(lambda o: o.node.jurisdiction)
    compound = None
    code = factory.Sequence(lambda n: f"B{n}")
    name = factory.Sequence(lambda n: f"{n}号楼")


def post(
    role: str, *, node: GridNode | None = None, department: Department | None = None, user: Any = None, **fields: Any
) -> StaffPost:
    """A user holding one post (created through the service so placement rules apply)."""
    return services.assign_post(user=user or UserFactory(), role=role, node=node, department=department, **fields)
