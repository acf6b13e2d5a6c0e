"""Reading back a PDF we hand out, for tests of any interface: its text and fonts (pypdf), a page as an image
(poppler's pdftoppm) and the QR codes on it (zxingcpp). Skips, with the Debian package to install, when a tool or the
Chinese font is missing."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

DPI = 150


def need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is missing: install the Debian package {package}")


def need_weasyprint_and_cjk_font() -> None:
    try:
        import weasyprint  # noqa: F401 - loads Pango through cffi
    except OSError as exc:
        pytest.skip(f"WeasyPrint cannot load Pango ({exc}): install libpango-1.0-0 libpangoft2-1.0-0")
    if not list(Path("/usr/share/fonts").rglob("NotoSansCJK*")):
        pytest.skip("Noto Sans CJK is missing: install the Debian package fonts-noto-cjk")


def text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def fonts(pdf: bytes) -> set[str]:
    """The base fonts the pages use (embedded subsets are named like ``ABCDEF+Noto-Sans-CJK-SC``)."""
    return {
        str(font.get_object().get("/BaseFont"))
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }


def rasterise(pdf: bytes, tmp_path: Path, *, page: int = 1, dpi: int = DPI) -> Image.Image:
    need("pdftoppm", "poppler-utils")
    source = tmp_path / "read-back.pdf"
    source.write_bytes(pdf)
    subprocess.run(  # noqa: S603 - a fixed tool on files this test wrote
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", str(source), str(tmp_path / "page")],  # noqa: S607
        check=True,
        timeout=60,
    )
    [png] = sorted(tmp_path.glob("page*.png"))
    image = Image.open(png).convert("RGB")
    png.unlink()
    return image


def decode_qr(image: Image.Image) -> list[str]:
    import zxingcpp

    return sorted(r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode)
