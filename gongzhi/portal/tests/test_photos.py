"""Photos are judged by their bytes, limited in size, resized, and stored without any metadata (EXIF GPS)."""

from __future__ import annotations

import contextlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from gongzhi.portal import photos
from gongzhi.portal.tests.conftest import jpeg


def test_a_phone_photo_loses_its_gps_and_camera_and_is_resized():
    raw = jpeg(size=(4000, 3000))
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the input really has GPS
    clean = photos.clean(SimpleUploadedFile("IMG_0001.jpg", raw, "image/jpeg"))
    out = Image.open(io.BytesIO(clean.data))
    assert out.format == "JPEG"
    assert (out.width, out.height) == (photos.MAX_SIDE, 1200) == (clean.width, clean.height)
    assert dict(out.getexif()) == {}
    assert "exif" not in out.info and "icc_profile" not in out.info
    assert b"TestPhone" not in clean.data and b"Exif" not in clean.data


def test_orientation_is_applied_before_the_tag_is_dropped():
    image = Image.new("RGB", (300, 100), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    clean = photos.clean(SimpleUploadedFile("p.jpg", out.getvalue()))
    assert (clean.width, clean.height) == (100, 300)


def test_png_is_accepted_and_becomes_jpeg():
    out = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 255, 0, 128)).save(out, format="PNG")
    clean = photos.clean(SimpleUploadedFile("a.png", out.getvalue(), "image/png"))
    assert Image.open(io.BytesIO(clean.data)).format == "JPEG"


@pytest.mark.parametrize(
    "payload",
    [
        b"%PDF-1.4 not a photo at all",
        b"<script>alert(1)</script>",
        b"\xff\xd8\xff\xe0" + b"\x00" * 200,  # a JPEG header with nothing behind it
        b"MZ\x90\x00" + b"\x00" * 100,  # a Windows program
    ],
)
def test_a_non_image_named_jpg_is_refused(payload):
    with pytest.raises(photos.PhotoError) as info:
        photos.clean(SimpleUploadedFile("holiday.jpg", payload, "image/jpeg"))
    assert info.value.status == 400
    assert "holiday.jpg" in info.value.message


def test_an_svg_named_jpg_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(photos.PhotoError):
        photos.clean(SimpleUploadedFile("x.jpg", svg, "image/jpeg"))


def test_over_the_size_limit_is_413(settings):
    settings.GONGZHI_PHOTO_MAX_MB = 0.05  # 51 KB
    noisy = Image.effect_noise((900, 900), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="JPEG", quality=95)
    assert len(out.getvalue()) > 0.05 * 1024 * 1024
    with pytest.raises(photos.PhotoError) as info:
        photos.clean(SimpleUploadedFile("big.jpg", out.getvalue(), "image/jpeg"))
    assert info.value.status == 413
    assert photos.clean(SimpleUploadedFile("small.jpg", jpeg(size=(20, 20)), "image/jpeg")).width == 20


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_decompression_bombs_are_refused():
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # tiny file, 100 megapixels
    with pytest.raises(photos.PhotoError):
        photos.clean(SimpleUploadedFile("bomb.png", out.getvalue()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_crash_the_checker(data):
    try:
        clean = photos.clean(SimpleUploadedFile("x.jpg", data))
    except photos.PhotoError:
        return
    assert Image.open(io.BytesIO(clean.data)).format == "JPEG"


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.integers(min_value=0, max_value=600))
def test_truncated_or_corrupted_jpegs_never_crash(noise, cut):
    raw = jpeg(size=(64, 48))
    corrupted = raw[: len(raw) - cut] + noise
    with contextlib.suppress(photos.PhotoError):
        photos.clean(SimpleUploadedFile("x.jpg", corrupted))
