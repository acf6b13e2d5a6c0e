"""Fixtures for the resident portal: a small district with a building, staff cards and a category; photos made
on the fly (with EXIF GPS, to prove it is stripped); media and screenshots in places the test run keeps apart."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gongzhi.cases.tests.factories import World, category, world
from gongzhi.grid import roles
from gongzhi.grid.tests.factories import CompoundFactory, post
from gongzhi.notifications import backends


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _existing_static_root(settings, tmp_path_factory):
    static_root = tmp_path_factory.getbasetemp() / "static-root"
    static_root.mkdir(exist_ok=True)
    settings.STATIC_ROOT = static_root


@pytest.fixture(autouse=True)
def _empty_outbox():
    backends.outbox.clear()
    yield
    backends.outbox.clear()


@pytest.fixture
def w(db) -> World:
    """world() with names a resident would see: a compound, 3号楼, a steward with a public card."""
    data = world()
    compound = CompoundFactory(node=data.community, jurisdiction=data.jurisdiction, name="幸福里小区")
    data.building.compound = compound
    data.building.name = "3号楼"
    data.building.address = "幸福路 18 号"
    data.building.save()
    data.micro.name = "幸福里第一微网格"
    data.micro.save(update_fields=["name"])
    data.community.name = "幸福社区"
    data.community.save(update_fields=["name"])
    data.steward.display_name = "张小管"
    data.steward.save(update_fields=["display_name"])
    p = data.steward.posts.get()
    p.title, p.duty, p.public_phone = "小管家", "楼道卫生、邻里互助", "13900001111"
    p.save()
    data.category.name = "楼道堆物"
    data.category.save(update_fields=["name"])
    category(data.jurisdiction, "road.light", name="路灯不亮", level="community")
    post(roles.GRID_WORKER, node=data.grid, title="专职网格员", duty="巡查走访", public_phone="13800002222")
    return data


def jpeg(*, size=(2400, 1800), gps: bool = True, color=(180, 60, 40)) -> bytes:
    """A JPEG photo; with ``gps`` it carries EXIF GPS coordinates and a camera model, like a phone photo."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    if gps:
        exif[0x0110] = "TestPhone 12"  # Model
        exif[0x8825] = {1: "N", 2: (30.0, 1.0, 2.0), 3: "E", 4: (120.0, 3.0, 4.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=85)
    return out.getvalue()
