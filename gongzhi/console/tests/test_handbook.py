"""The service handbook (便民服务手册): sections from hooks, projects grouped by category, resources with hours and
phones (a contact person's mobile masked), Chinese embedded and drawn as real glyphs (not tofu), scoped."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image, ImageChops
from pypdf import PdfReader

from gongzhi.cases.tests.factories import World, world
from gongzhi.console import handbook
from gongzhi.lists import services as lists

pytestmark = pytest.mark.django_db
DPI = 150


def need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is missing: install the Debian package {package}")


@pytest.fixture(autouse=True)
def _weasyprint_and_fonts():
    try:
        import weasyprint  # noqa: F401 - loads Pango through cffi
    except OSError as exc:
        pytest.skip(f"WeasyPrint cannot load Pango ({exc}): install libpango-1.0-0 libpangoft2-1.0-0")
    if not list(Path("/usr/share/fonts").rglob("NotoSansCJK*")):
        pytest.skip("Noto Sans CJK is missing: install the Debian package fonts-noto-cjk")


@pytest.fixture
def w() -> World:
    w = world()
    provider = lists.save_resource(
        actor=w.dispatcher,
        node=w.community,
        name="幸福食堂",
        kind="merchant",
        phone="028-88886666",
        contact_name="王芳",
        contact_phone="13812345678",
        hours="每天 11:00–13:00",
    )
    clinic = lists.save_resource(actor=w.dispatcher, node=w.community, name="社区卫生服务站", kind="clinic")
    lists.save_project(
        actor=w.dispatcher,
        node=w.community,
        name="长者食堂助餐",
        category="elderly",
        provider=provider,
        delivery="station",
        price=Decimal("8.50"),
        status="active",
    )
    lists.save_project(
        actor=w.dispatcher, node=w.community, name="慢病健康管理", category="health", provider=clinic, delivery="door"
    )
    lists.save_project(
        actor=w.dispatcher,
        node=w.community,
        name="已结束的项目",
        category="health",
        provider=clinic,
        delivery="door",
        status="ended",
    )
    return w


def _pdf(client, w: World) -> bytes:
    client.force_login(w.dispatcher)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    response = client.get(reverse("console:lists_handbook", args=[w.community.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response.content


def test_the_handbook_parses_back(client, w):
    reader = PdfReader(io.BytesIO(_pdf(client, w)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for shown in (
        "便民服务手册",
        w.community.name,
        "养老服务",
        "健康",
        "长者食堂助餐",
        "慢病健康管理",
        "8.50 元",
        "免费",
    ):
        assert shown in text, shown
    assert "每天 11:00–13:00" in text and "028-88886666" in text
    assert "138****5678" in text and "13812345678" not in text and "王芳" not in text and "王*" in text
    assert "已结束的项目" not in text
    # Projects come first (grouped by category: 养老服务 before 健康), then the resources.
    assert text.index("养老服务") < text.index("健康") < text.index("社区卫生服务站")


def test_chinese_is_drawn_not_tofu(client, w, tmp_path):
    need("pdftoppm", "poppler-utils")
    need("pdftotext", "poppler-utils")
    pdf = _pdf(client, w)
    source = tmp_path / "handbook.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-f", "2", "-l", "2", "-png", str(source), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    [png] = sorted(tmp_path.glob("page*.png"))
    image = Image.open(png).convert("RGB")
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "2", "-l", "2", str(source), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode()
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    words = {text: tuple(float(v) for v in box) for *box, text in re.findall(pattern, html)}
    box = words["长者食堂助餐"]
    scale = DPI / 72
    x0, y0, x1, y1 = (v * scale for v in box)
    width = (x1 - x0) / 6
    cells = [image.crop((round(x0 + i * width), round(y0), round(x0 + (i + 1) * width), round(y1))) for i in range(6)]

    def ink(cell: Image.Image) -> int:
        return sum(cell.convert("L").point(lambda v: 255 if v < 128 else 0).histogram()[255:])

    def differ(a: Image.Image, b: Image.Image) -> int:
        b = b.resize(a.size) if a.size != b.size else b
        diff = ImageChops.difference(a.convert("L"), b.convert("L"))
        return sum(diff.point(lambda v: 255 if v > 64 else 0).histogram()[255:])

    assert all(ink(cell) > 30 for cell in cells), [ink(c) for c in cells]
    assert all(differ(cells[i], cells[j]) > 30 for i in range(6) for j in range(i + 1, 6))


def test_other_domains_add_sections(client, w):
    def notice(node):
        return handbook.Section(
            "notice", "驿站服务", "console/handbook/resources.html", {"rows": [{"name": "第一驿站"}]}
        )

    handbook.register(notice)
    try:
        assert [s.key for s in handbook.sections(w.community)] == ["projects", "resources", "notice"]
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(_pdf(client, w))).pages)
        assert "驿站服务" in text and "第一驿站" in text
    finally:
        handbook._HOOKS.remove(notice)


def test_the_handbook_is_scoped(client, w):
    client.force_login(w.other_dispatcher)
    assert client.get(reverse("console:lists_handbook", args=[w.community.pk])).status_code == 404
    client.force_login(w.dept_staff)
    assert client.get(reverse("console:lists_handbook", args=[w.community.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("console:lists_handbook", args=[w.community.pk])).status_code == 302


def test_the_stations_serving_the_community_have_their_section(client, w):
    from datetime import time

    from gongzhi.stations.tests.factories import station

    station(
        w.community,
        "幸福社区党群服务驿站",
        items=["drinking-water"],
        hours=[(0, time(8, 30), time(17, 30))],
        phone="028-66668888",
    )
    assert [s.key for s in handbook.sections(w.community)] == ["projects", "resources", "stations"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(_pdf(client, w))).pages)
    assert "幸福社区党群服务驿站" in text and "028-66668888" in text and "08:30–17:30" in text and "饮用水" in text
