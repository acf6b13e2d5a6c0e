"""The one photo cleaner: photos are judged by their bytes, limited in size and pixels (decompression bombs are a
clear 413, never a 500 or a full decode), resized, turned upright, converted to sRGB and re-encoded with no metadata
left at all — checked on the raw bytes of what is stored: no EXIF, XMP, ICC profile, JPEG comment or PNG text."""

from __future__ import annotations

import contextlib
import io
import struct
import subprocess
import sys
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, ImageFile

from gongzhi.core import photos

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/'
    b'1.0/" exif:GPSLatitude="30,1.5N" exif:GPSLongitude="120,3.2E"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def jpeg(*, size=(2400, 1800), gps: bool = True, color=(180, 60, 40), **save) -> bytes:
    """A JPEG photo; with ``gps`` it carries EXIF GPS coordinates and a camera model, like a phone photo."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    if gps:
        exif[0x0110] = "TestPhone 12"  # Model
        exif[0x8825] = {1: "N", 2: (30.0, 1.0, 2.0), 3: "E", 4: (120.0, 3.0, 4.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=85, **save)
    return out.getvalue()


def upload(data: bytes, name: str = "IMG_0001.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/jpeg")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def header_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG of about 1 KB whose header claims width × height RGB pixels, with one row of data behind it: decoding
    it would allocate the whole canvas (1.2 GB at 20,000²) before finding the data missing."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = zlib.compress(b"\x00" * (width * 3 + 1), 9)
    pad = png_chunk(b"tEXt", b"Comment\x00" + b"x" * 800)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + pad + png_chunk(b"IDAT", row) + png_chunk(b"IEND", b"")


def swapped_profile() -> bytes:
    """An RGB colour profile whose red and blue primaries are sRGB's blue and red: a pixel stored as pure red in a
    photo tagged with it is blue on screen. Made from sRGB's own profile by swapping two tag table entries."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack(">I", data[128:132])
    entries = {bytes(data[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    data[red + 4 : red + 12], data[blue + 4 : blue + 12] = data[blue + 4 : blue + 12], data[red + 4 : red + 12]
    return bytes(data)


def assert_no_metadata(data: bytes) -> None:
    """The raw JPEG bytes hold the picture and nothing else: no APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC) or COM
    segment, and none of the tell-tale strings anywhere."""
    assert data[:2] == b"\xff\xd8"
    position = 2
    markers = []
    while position < len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the entropy-coded picture follows
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    assert 0xFE not in markers, "a JPEG comment (COM) survived"
    assert not {0xE1, 0xE2, 0xED} & set(markers), f"a metadata segment survived: {[hex(m) for m in markers]}"
    for needle in (b"Exif", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"TestPhone", b"tEXt", b"iTXt", b"zTXt"):
        assert needle not in data, needle
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and dict(image.getexif()) == {}
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info), image.info.keys()


def stored_bytes(clean: photos.CleanPhoto) -> bytes:
    """Store a cleaned photo as the services do and read the file back from storage."""
    (name,) = photos.store([clean], prefix=photos.REPORT_PREFIX)
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def test_a_phone_photo_loses_its_gps_and_camera_and_is_resized():
    raw = jpeg(size=(4000, 3000))
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the input really has GPS
    clean = photos.clean(upload(raw))
    out = Image.open(io.BytesIO(clean.data))
    assert (out.width, out.height) == (photos.MAX_SIDE, 1200) == (clean.width, clean.height)
    assert_no_metadata(stored_bytes(clean))


def test_every_metadata_block_is_gone_from_the_stored_file():
    """EXIF with GPS, XMP, a colour profile and a JPEG comment in; none of them in the file that is stored."""
    image = Image.new("RGB", (800, 600), (20, 120, 200))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (30.0, 1.0, 2.0), 3: "E", 4: (120.0, 3.0, 4.0)}
    out = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(out, format="JPEG", exif=exif, icc_profile=srgb, comment=b"Zhang San 13812345678", xmp=XMP)
    raw = out.getvalue()
    for needle in (b"Exif", b"ns.adobe.com/xap", b"ICC_PROFILE", b"Zhang San"):
        assert needle in raw, needle  # the input really carries each block
    stored = stored_bytes(photos.clean(upload(raw)))
    assert_no_metadata(stored)
    assert b"13812345678" not in stored


def test_png_text_chunks_and_exif_are_gone():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Wang Wu 13812345678")
    info.add_itxt("Description", "家住3单元502室", zip=True)
    info.add_text("Comment", "secret", zip=True)
    exif = Image.Exif()
    exif[0x0110] = "TestPhone 12"
    out = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 255, 0, 128)).save(out, format="PNG", pnginfo=info, exif=exif)
    raw = out.getvalue()
    assert b"tEXt" in raw and b"iTXt" in raw and b"zTXt" in raw and b"eXIf" in raw
    stored = stored_bytes(photos.clean(upload(raw, "a.png")))
    assert_no_metadata(stored)
    assert b"13812345678" not in stored and b"502" not in stored


def test_colours_are_converted_to_srgb_before_the_profile_is_dropped():
    """A pixel stored as red in a photo whose profile says that red is blue comes out blue: the profile is applied,
    not just thrown away (which would show it red)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (255, 0, 0)).save(out, format="JPEG", quality=95, icc_profile=swapped_profile())
    clean = photos.clean(upload(out.getvalue()))
    assert_no_metadata(clean.data)
    r, g, b = Image.open(io.BytesIO(clean.data)).convert("RGB").getpixel((32, 32))
    assert b > 200 and r < 60 and g < 60, (r, g, b)


def test_a_broken_colour_profile_is_ignored_not_fatal():
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 0, 255)).save(out, format="JPEG", icc_profile=b"not a profile at all" * 10)
    clean = photos.clean(upload(out.getvalue()))
    assert_no_metadata(clean.data)
    assert Image.open(io.BytesIO(clean.data)).getpixel((20, 20))[2] > 200


def test_cmyk_and_greyscale_and_palette_photos_become_rgb_jpegs():
    for mode, fmt, color in (("CMYK", "JPEG", (0, 255, 255, 0)), ("L", "PNG", 128), ("P", "GIF", 3)):
        out = io.BytesIO()
        Image.new(mode, (50, 30), color).save(out, format=fmt)
        clean = photos.clean(upload(out.getvalue(), f"x.{fmt.lower()}"))
        image = Image.open(io.BytesIO(clean.data))
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (50, 30)), mode
        assert_no_metadata(clean.data)


def test_transparent_parts_come_out_white():
    out = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 0, 0, 0)).save(out, format="PNG")
    clean = photos.clean(upload(out.getvalue(), "a.png"))
    assert Image.open(io.BytesIO(clean.data)).getpixel((25, 20)) >= (250, 250, 250)


@pytest.mark.parametrize(("orientation", "size"), [(1, (300, 100)), (3, (300, 100)), (6, (100, 300)), (8, (100, 300))])
def test_orientation_is_applied_before_the_tag_is_dropped(orientation, size):
    image = Image.new("RGB", (300, 100), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 30, 100))  # a red band on the left
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=95)
    clean = photos.clean(upload(out.getvalue()))
    assert (clean.width, clean.height) == size
    result = Image.open(io.BytesIO(clean.data))
    where = {1: (5, 50), 3: (295, 50), 6: (50, 5), 8: (50, 295)}[orientation]  # where the red band ends up
    assert result.getpixel(where)[0] > 200, (orientation, result.getpixel(where))
    assert_no_metadata(clean.data)


@pytest.mark.parametrize(
    "payload",
    [
        b"%PDF-1.4 not a photo at all",
        b"<script>alert(1)</script>",
        b"\xff\xd8\xff\xe0" + b"\x00" * 200,  # a JPEG header with nothing behind it
        b"MZ\x90\x00" + b"\x00" * 100,  # a Windows program
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # never handed to Ghostscript
    ],
)
def test_a_non_image_named_jpg_is_refused(payload):
    with pytest.raises(photos.PhotoError) as info:
        photos.clean(upload(payload, "holiday.jpg"))
    assert info.value.status == 400
    assert "holiday.jpg" in info.value.message


def test_over_the_size_limit_is_413(settings):
    settings.GONGZHI_PHOTO_MAX_MB = 0.05  # 51 KB
    noisy = Image.effect_noise((900, 900), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="JPEG", quality=95)
    assert len(out.getvalue()) > 0.05 * 1024 * 1024
    with pytest.raises(photos.PhotoError) as info:
        photos.clean(upload(out.getvalue(), "big.jpg"))
    assert info.value.status == 413
    assert photos.clean(upload(jpeg(size=(20, 20)), "small.jpg")).width == 20


def test_the_request_limit_follows_the_photo_setting(settings):
    settings.GONGZHI_PHOTO_MAX_MB = 8
    assert photos.request_limit(4) == 4 * 8 * 1024 * 1024 + photos.REQUEST_MARGIN_BYTES
    settings.GONGZHI_PHOTO_MAX_MB = 2
    assert photos.request_limit(5) == 5 * 2 * 1024 * 1024 + photos.REQUEST_MARGIN_BYTES


@pytest.fixture
def loads(monkeypatch):
    """The sizes at which pictures are decoded (after any reduced-scale decode was chosen)."""
    sizes: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def load(self):
        sizes.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


def test_a_1_kb_png_of_20000_by_20000_pixels_is_a_413_without_decoding(loads):
    bomb = header_bomb()
    assert len(bomb) < 1100
    with translation.override("en"), pytest.raises(photos.PhotoError) as info:
        photos.clean(upload(bomb, "bomb.png"))
    assert info.value.status == 413
    assert "bomb.png has too many pixels" in info.value.message
    assert loads == []  # refused from the header: nothing was decoded


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_png_above_the_full_decode_limit_is_refused_from_its_header(loads):
    """150 megapixels of one colour compress to a small file; the staff form used to decode it whole (+860 MB)."""
    with pytest.raises(photos.PhotoError) as info:
        photos.clean(upload(header_bomb(15_000, 10_000), "result.png"))
    assert info.value.status == 413
    # Below Pillow's own limit but above ours for a format that is decoded whole: refused too.
    with pytest.raises(photos.PhotoError) as info:
        photos.clean(upload(header_bomb(5000, 4000), "screen.png"))
    assert info.value.status == 413
    assert loads == []


def test_a_big_jpeg_is_decoded_at_a_reduced_scale(loads):
    """A 48-megapixel JPEG is decoded at 1/4 (libjpeg's scaled decode): 2000 × 1500, not 8000 × 6000."""
    clean = photos.clean(upload(jpeg(size=(8000, 6000), gps=False)))
    assert (clean.width, clean.height) == (1600, 1200)
    assert loads[0] == (2000, 1500) and max(w * h for w, h in loads) == 3_000_000


def test_decoding_a_big_jpeg_takes_little_memory(tmp_path):
    """Measured in a fresh process (Pillow's pixels are not Python objects, so only the process's peak resident
    memory shows them): cleaning a 48-megapixel JPEG raises it by about 30 MB; decoded whole it was 257 MB."""
    path = tmp_path / "big.jpg"
    path.write_bytes(jpeg(size=(8000, 6000), gps=False))
    # The peak resident size of this process's own memory (VmHWM; ru_maxrss would carry the forking parent's).
    script = (
        "import io, sys\n"
        "from PIL import Image\n"
        "from gongzhi.core.photos import _reencode\n"
        "peak = lambda: int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1])\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "before = peak()\n"
        "out, width, height = _reencode(Image.open(io.BytesIO(data)))\n"
        "print(peak() - before, width, height)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    grew_kb, width, height = (int(x) for x in done.stdout.split())
    assert (width, height) == (1600, 1200)
    assert grew_kb < 60 * 1024, f"{grew_kb / 1024:.0f} MB"
    print(f"cleaning 48 Mpx raised the peak by {grew_kb / 1024:.1f} MB")


def test_a_jpeg_over_the_pixel_limit_is_refused():
    raw = jpeg(size=(10_000, 5_001), gps=False)
    with pytest.raises(photos.PhotoError) as info:
        photos.clean(upload(raw))
    assert info.value.status == 413


def test_store_and_discard(media_root):
    clean = photos.clean(upload(jpeg(size=(40, 30))))
    (report,) = photos.store([clean], prefix=photos.REPORT_PREFIX)
    (result,) = photos.store([clean], prefix="cases/7")
    assert photos.is_report_photo(report) and not photos.is_report_photo(result)
    assert result.startswith("cases/7/") and default_storage.exists(result)
    photos.discard([report, result, "cases/never/there.jpg"])
    assert not default_storage.exists(report) and not default_storage.exists(result)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_crash_the_checker(data):
    try:
        clean = photos.clean(upload(data, "x.jpg"))
    except photos.PhotoError:
        return
    assert Image.open(io.BytesIO(clean.data)).format == "JPEG"


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.integers(min_value=0, max_value=600))
def test_truncated_or_corrupted_jpegs_never_crash(noise, cut):
    raw = jpeg(size=(64, 48))
    corrupted = raw[: len(raw) - cut] + noise
    with contextlib.suppress(photos.PhotoError):
        photos.clean(upload(corrupted, "x.jpg"))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=1, max_value=20_000),
    st.integers(min_value=1, max_value=20_000),
    st.sampled_from([0, 2, 3, 4, 6]),
    st.integers(min_value=0, max_value=300),
)
def test_png_headers_of_any_size_and_type_are_a_clear_answer(width, height, color_type, cut):
    """Any claimed size and colour type with too little data behind it: refused with a message, never a 500."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\x00" * cut))
    with contextlib.suppress(photos.PhotoError):
        photos.clean(upload(data + png_chunk(b"IEND", b""), "x.png"))


def test_a_truncated_photo_is_refused_even_after_weasyprint_loaded(monkeypatch):
    """WeasyPrint (the posters) turns Pillow's process-wide LOAD_TRUNCATED_IMAGES on when it is imported: the
    cleaner still refuses a file that stops half-way, and leaves the switch as it found it."""
    raw = jpeg(size=(800, 600), gps=False)
    cut = raw[: len(raw) // 2]
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(photos.PhotoError) as info:
        photos.clean(upload(cut, "half.jpg"))
    assert info.value.status == 400
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    assert photos.clean(upload(raw)).width == 800
