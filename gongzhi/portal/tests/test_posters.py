"""QR posters: staff only and scoped; the PDF parses, its codes decode to the buildings' scan URLs, the Chinese font
is embedded, and Chinese renders as real glyphs on the rasterised page (not tofu boxes)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image, ImageChops
from pypdf import PdfReader

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.core.testing.pdf import DPI, decode_qr, need, rasterise
from gongzhi.grid.tests.factories import BuildingFactory

pytestmark = pytest.mark.django_db
PUBLIC = "https://gz.example.gov.cn"


def need_cjk_font() -> None:
    if not list(Path("/usr/share/fonts").rglob("NotoSansCJK*")):
        pytest.skip("Noto Sans CJK is missing: install the Debian package fonts-noto-cjk")


@pytest.fixture(autouse=True)
def _weasyprint_loads():
    try:
        import weasyprint  # noqa: F401 - loads Pango through cffi
    except OSError as exc:
        pytest.skip(
            f"WeasyPrint cannot load Pango ({exc}): install the Debian packages libpango-1.0-0 libpangoft2-1.0-0"
        )


@pytest.fixture
def staff_client(client, w, settings):
    settings.GONGZHI_PUBLIC_URL = PUBLIC
    client.force_login(w.dispatcher)
    return client


def word_boxes(pdf: bytes, tmp_path: Path) -> list[tuple[str, float, float, float, float]]:
    """Words of page 1 with their boxes in PDF points, from poppler's pdftotext -bbox."""
    need("pdftotext", "poppler-utils")
    source = tmp_path / "words.pdf"
    source.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(source), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode()
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [(text, float(a), float(b), float(c), float(d)) for a, b, c, d, text in re.findall(pattern, html)]


def glyph_cells(image: Image.Image, box: tuple[float, float, float, float], count: int) -> list[Image.Image]:
    """Cut a run of ``count`` full-width characters out of the page image, one cell per character."""
    scale = DPI / 72
    x0, y0, x1, y1 = (v * scale for v in box)
    width = (x1 - x0) / count
    return [
        image.crop((round(x0 + i * width), round(y0), round(x0 + (i + 1) * width), round(y1))) for i in range(count)
    ]


def ink(cell: Image.Image) -> int:
    return sum(cell.convert("L").point(lambda v: 255 if v < 128 else 0).histogram()[255:])


def differ(a: Image.Image, b: Image.Image) -> int:
    if a.size != b.size:
        b = b.resize(a.size)
    return sum(
        ImageChops.difference(a.convert("L"), b.convert("L")).point(lambda v: 255 if v > 64 else 0).histogram()[255:]
    )


def test_posters_need_a_staff_login(client, w):
    url = reverse("portal:poster_building", args=[w.building.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_posters_outside_the_staff_scope_are_404(client, w):
    client.force_login(w.other_dispatcher)
    assert client.get(reverse("portal:poster_building", args=[w.building.pk])).status_code == 404
    assert client.get(reverse("portal:poster_node", args=[w.community.pk])).status_code == 404
    assert client.get(reverse("portal:posters", args=[w.community.pk])).status_code == 404
    client.force_login(UserFactory())  # no post at all
    assert client.get(reverse("portal:poster_building", args=[w.building.pk])).status_code == 404


def test_building_poster_opens_decodes_and_renders_chinese(staff_client, w, tmp_path):
    need_cjk_font()
    response = staff_client.get(reverse("portal:poster_building", args=[w.building.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    expected = f"{PUBLIC}/r/b/{w.building.public_token}/"
    assert "幸福里小区" in text and "3号楼" in text and "幸福路 18 号" in text
    assert "张小管" in text and "楼道卫生、邻里互助" in text and "13900001111" in text  # 三亮
    assert expected in text.replace("\n", "")
    # The Chinese font is embedded (a subset of Noto Sans CJK SC from the system).
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        descendants = font.get("/DescendantFonts")
        descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor else {}
        if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            embedded.append(str(font["/BaseFont"]))
    assert any("Noto-Sans-CJK-SC" in name for name in embedded), embedded

    # The QR code on the printed page decodes to the building's scan URL.
    page = rasterise(pdf, tmp_path)
    assert decode_qr(page) == [expected]

    # No tofu: each character of the building's name is drawn with ink, and different characters look different
    # (missing glyphs all render as the same empty box).
    words = word_boxes(pdf, tmp_path)
    name = next(word for word in words if word[0] == "幸福里小区")
    cells = glyph_cells(page, name[1:], 5)
    assert all(ink(cell) > 40 for cell in cells), [ink(c) for c in cells]
    pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    assert all(differ(cells[i], cells[j]) > 40 for i, j in pairs)


def test_a_compound_sheet_of_labels_decodes_every_building(staff_client, w, tmp_path):
    need_cjk_font()
    compound = w.building.compound
    extra = [
        BuildingFactory(node=w.micro, jurisdiction=w.jurisdiction, compound=compound, name=f"{n}号楼")
        for n in range(4, 11)
    ]
    buildings = [w.building, *extra]
    response = staff_client.get(reverse("portal:poster_compound", args=[compound.pk]) + "?layout=sheet")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2  # 8 buildings, 6 labels a page
    found = decode_qr(rasterise(response.content, tmp_path, page=1)) + decode_qr(
        rasterise(response.content, tmp_path, page=2)
    )
    assert sorted(found) == sorted(f"{PUBLIC}/r/b/{b.public_token}/" for b in buildings)


def test_one_poster_per_building_of_a_community(staff_client, w):
    BuildingFactory(node=w.micro, jurisdiction=w.jurisdiction, name="5号楼")
    response = staff_client.get(reverse("portal:poster_node", args=[w.community.pk]))
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 2
    page = staff_client.get(reverse("portal:posters", args=[w.community.pk])).content.decode()
    assert reverse("portal:poster_building", args=[w.building.pk]) in page


def test_without_a_public_url_the_request_host_is_used(client, w, settings):
    settings.GONGZHI_PUBLIC_URL = ""
    client.force_login(w.dispatcher)
    response = client.get(reverse("portal:poster_building", args=[w.building.pk]))
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text().replace("\n", "")
    assert f"http://testserver/r/b/{w.building.public_token}/" in text


def test_an_empty_compound_has_nothing_to_print(staff_client, w):
    from gongzhi.grid.tests.factories import CompoundFactory

    empty = CompoundFactory(node=w.community, jurisdiction=w.jurisdiction)
    assert staff_client.get(reverse("portal:poster_compound", args=[empty.pk])).status_code == 404
