"""Staff photos go through the one cleaner (core.photos), as residents' do: a result photo keeps no metadata (EXIF,
XMP, colour profile, JPEG comment — checked on the stored file's bytes), a decompression bomb is a clear 4xx that
changes nothing, and a huge picture is refused from its header, never decoded whole."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms

from gongzhi.cases import transitions as t
from gongzhi.cases.tests.factories import world
from gongzhi.core.tests.test_photos import XMP, assert_no_metadata, header_bomb

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def steward_client(client, w):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(w.steward)
    return client


def loaded_photo() -> bytes:
    image = Image.new("RGB", (640, 480), (30, 160, 90))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {1: "N", 2: (30.0, 1.0, 2.0), 3: "E", 4: (120.0, 3.0, 4.0)}
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, icc_profile=srgb, comment=b"resident Li Si 13712345678", xmp=XMP)
    return out.getvalue()


def resolve(client, case, *files):
    return client.post(
        reverse("console:case_action", args=[case.pk, "resolve"]),
        {"result": "已清理干净", "photos": [SimpleUploadedFile(name, data, "image/jpeg") for name, data in files]},
    )


def test_a_result_photo_is_stored_without_any_metadata(w, steward_client):
    case = w.to_accepted()
    response = resolve(steward_client, case, ("result.jpg", loaded_photo()))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == t.RESOLVED and len(case.photos) == 1
    assert case.photos[0].startswith(f"cases/{case.pk}/")  # a result photo: the public board may show it
    with default_storage.open(case.photos[0], "rb") as handle:
        stored = handle.read()
    assert_no_metadata(stored)
    assert b"13712345678" not in stored and b"SecretCam" not in stored
    assert Image.open(io.BytesIO(stored)).size == (640, 480)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    "bomb",
    [header_bomb(), header_bomb(15_000, 10_000)],
    ids=["1 KB, 20000x20000 px", "150 megapixels"],
)
def test_a_decompression_bomb_is_refused_and_nothing_changes(w, steward_client, media, bomb):
    case = w.to_accepted()
    before = case.event_count
    response = resolve(steward_client, case, ("bomb.png", bomb))
    assert response.status_code in (400, 413)
    assert "bomb.png has too many pixels" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.event_count, case.photos) == (t.ACCEPTED, before, [])
    assert not any(media.rglob("*.jpg")) if media.exists() else True


def test_a_truncated_png_claiming_many_pixels_is_a_clear_answer(w, steward_client):
    case = w.to_accepted()
    ihdr = struct.pack(">IIBBBBB", 3000, 3000, 8, 2, 0, 0, 0)
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))  # noqa: E731
    broken = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b"")
    )
    response = resolve(steward_client, case, ("broken.png", broken))
    assert response.status_code == 400
    assert "broken.png is not a photo we can read" in response.content.decode()
