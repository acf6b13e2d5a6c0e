"""The one photo cleaner, for every upload: residents' reports, staff results, the cases staff record for residents.

A photo is judged by its bytes (not its name or declared type), size-limited, decoded within a bounded number of
pixels, turned upright, resized and re-encoded as a JPEG that carries no metadata at all: no EXIF (GPS position,
device, time), no XMP, no colour profile (the pixels are converted to sRGB first, so colours stay right), no JPEG
comment, no PNG text chunks. What reaches storage and any page is only the picture.

Bounds, so that a small file cannot cost a lot of memory or time (a PNG of 1 KB can claim 20,000 × 20,000 pixels, and
Pillow allocates the whole canvas before it finds the data missing):

- the header's size is read first, and a photo over ``MAX_PIXELS`` is refused before anything is decoded;
- a JPEG is decoded at a reduced scale (libjpeg's 1/2, 1/4, 1/8: ``Image.draft``), never more than needed for
  ``MAX_SIDE``, so a 48-megapixel phone photo costs about 3 megapixels of memory;
- other formats (PNG, WebP, GIF) have no reduced decode: they are decoded whole, so their limit is
  ``MAX_FULL_DECODE_PIXELS``;
- one process decodes one photo at a time (``_DECODING``), so parallel uploads queue instead of adding up.

Storage: photos are saved through Django storage (any worker can serve them). A case's photos are "report photos"
(the problem, as the resident or the recorder saw it; never shown on the public board) when stored under
``REPORT_PREFIX``; the handler's result photos are stored elsewhere (``cases/<case id>/``) and are the only ones the
public board shows (``is_report_photo``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

log = logging.getLogger(__name__)

# What we accept, by what Pillow finds in the bytes.
FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "MPO"})
# The only decoders Pillow may try (a JPEG with several pictures comes back from the JPEG decoder as MPO): nothing
# else ever parses an upload (no PostScript handed to Ghostscript, no exotic decoders).
DECODERS = ("JPEG", "PNG", "WEBP", "GIF")
# Formats libjpeg can decode at a reduced scale.
SCALED_DECODE = frozenset({"JPEG", "MPO"})
MAX_SIDE = 1600  # px: enough to see a broken lamp, small enough for a phone on 4G
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo; JPEGs above are refused, others far below (next line)
MAX_FULL_DECODE_PIXELS = 16_000_000  # PNG/WebP/GIF: decoded whole (16 Mpx ≈ 64 MB as RGBA); a screenshot is ~4 Mpx
JPEG_QUALITY = 82
# The most photos one form takes (the staff's result form; residents may send MAX_REPORT_PHOTOS).
MAX_PHOTOS_PER_FORM = 5
MAX_REPORT_PHOTOS = 4
# Room in a request for the form's text fields and the multipart framing, beside the photos.
REQUEST_MARGIN_BYTES = 1024 * 1024
# Where a case's report photos are stored (see the module's docstring).
REPORT_PREFIX = "cases/reports"

_DECODING = threading.BoundedSemaphore(1)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class PhotoError(ValueError):
    """A photo we cannot take; the message is shown to the person. ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class StorageFull(PhotoError):
    """The cleaned photos could not be written (the media folder full, over quota, read-only or failing): none of
    them was kept, and what they belonged to must not be written either. Answered 507 (Insufficient Storage) with
    this message, by the view (the resident's report form, which keeps what was typed) or else by
    ``core.middleware.ServiceUnavailableMiddleware``."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "The photos could not be saved: the server's storage is full. Nothing was sent; please try again "
                "later, or send it without photos."
            ),
            status=507,
        )


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes  # JPEG, no metadata
    width: int
    height: int


def max_bytes() -> int:
    """The largest photo file accepted (``GONGZHI_PHOTO_MAX_MB``)."""
    return int(settings.GONGZHI_PHOTO_MAX_MB * 1024 * 1024)


def request_limit(photos: int = MAX_PHOTOS_PER_FORM) -> int:
    """The largest request body a form with ``photos`` photos can need: that many photos at the largest size, plus
    room for the text fields. Bigger requests are refused from their Content-Length (``core.uploads``)."""
    return photos * max_bytes() + REQUEST_MARGIN_BYTES


def _too_large(label: str, size: int, limit: int) -> PhotoError:
    return PhotoError(
        _("%(name)s is too large (%(size).1f MB); photos may be at most %(limit).0f MB.")
        % {"name": label, "size": size / 1024 / 1024, "limit": limit / 1024 / 1024},
        status=413,
    )


def _too_many_pixels(label: str, limit: int) -> PhotoError:
    return PhotoError(
        _("%(name)s has too many pixels; photos may have at most %(mp)d megapixels.")
        % {"name": label, "mp": limit // 1_000_000},
        status=413,
    )


def clean(upload: Any, *, name: str = "") -> CleanPhoto:
    """Check one upload (an uploaded file or bytes) and return it as a metadata-free JPEG of at most MAX_SIDE px."""
    size = getattr(upload, "size", None)
    label = name or getattr(upload, "name", "") or _("photo")
    limit = max_bytes()
    if size is not None and size > limit:
        raise _too_large(label, size, limit)
    raw = upload.read(limit + 1) if hasattr(upload, "read") else bytes(upload)
    if len(raw) > limit:
        raise _too_large(label, len(raw), limit)
    try:
        with _DECODING, _whole_files_only():
            return _clean(raw, label)
    except PhotoError:
        raise
    except Image.DecompressionBombError:  # Pillow's own check, at twice its limit: far above ours too
        raise _too_many_pixels(label, MAX_PIXELS) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise PhotoError(_("%(name)s is not a photo we can read (JPEG, PNG, WebP or GIF).") % {"name": label}) from None


@contextlib.contextmanager
def _whole_files_only() -> Iterator[None]:
    """A truncated file is refused, not filled in with grey, whatever the process set before: WeasyPrint, once
    imported (the QR posters), turns Pillow's process-wide LOAD_TRUNCATED_IMAGES on. Decoding holds ``_DECODING``,
    so the switch is back before the next decode; a web worker runs one request at a time."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _clean(raw: bytes, label: str) -> CleanPhoto:
    # Pillow's own bomb check stops at twice its limit and only warns below; ours comes first, from the header.
    with Image.open(io.BytesIO(raw), formats=DECODERS) as probe:
        width, height = probe.size
        cap = MAX_PIXELS if probe.format in SCALED_DECODE else MAX_FULL_DECODE_PIXELS
        if width * height > cap:
            raise _too_many_pixels(label, cap)
        probe.verify()  # structure check without decoding; the image must be reopened after verify()
    with Image.open(io.BytesIO(raw), formats=DECODERS) as image:
        data, out_width, out_height = _reencode(image)
        return CleanPhoto(data, out_width, out_height)


def _reencode(image: Image.Image) -> tuple[bytes, int, int]:
    orientation = image.getexif().get(0x0112)  # read before decoding: the tag goes with the rest of the EXIF
    profile = image.info.get("icc_profile")
    width, height = image.size
    ratio = MAX_SIDE / max(width, height)
    if ratio < 1:
        # JPEG: decode at the smallest libjpeg scale that still covers the final size (no effect on other formats).
        image.draft("RGB", (max(int(width * ratio), 1), max(int(height * ratio), 1)))
    image.load()
    picture: Image.Image = image
    if picture.mode not in ("RGB", "RGBA", "L", "LA", "CMYK"):
        transparent = picture.mode.endswith("A") or "transparency" in picture.info
        picture = picture.convert("RGBA" if transparent else "RGB")
    # Smaller first (reduce, then Lanczos), so everything after works on at most MAX_SIDE² pixels.
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    picture = _to_srgb(picture, profile)
    if orientation in TRANSPOSE:
        picture = picture.transpose(TRANSPOSE[orientation])  # upright, as the EXIF orientation tag said
    # A fresh image carries no info: saving it writes no EXIF, XMP, ICC profile or comment, whatever the source had.
    fresh = Image.new("RGB", picture.size, (255, 255, 255))
    if picture.mode == "RGBA":
        fresh.paste(picture, mask=picture.getchannel("A"))  # transparent parts on white, not black
    else:
        fresh.paste(picture.convert("RGB"))
    out = io.BytesIO()
    fresh.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), fresh.width, fresh.height


# EXIF orientation → the turn that makes the picture upright (what ImageOps.exif_transpose does).
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _to_srgb(picture: Image.Image, profile: bytes | None) -> Image.Image:
    """The pixels in sRGB (RGB, or RGBA with its transparency): converted from the photo's own colour profile (a
    wide-gamut phone photo, a CMYK scan), so the profile can be dropped without the colours changing. A profile
    that cannot be read is ignored."""
    alpha = picture.getchannel("A") if picture.mode in ("RGBA", "LA") else None
    base = picture.convert({"RGBA": "RGB", "LA": "L"}.get(picture.mode, picture.mode))
    converted = None
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(base, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None
    result = converted if isinstance(converted, Image.Image) else base.convert("RGB")
    if alpha is not None:
        result = result.convert("RGBA")
        result.putalpha(alpha)
    return result


# ------------------------------------------------------------------------------------------------------- storage


def store(photos: list[CleanPhoto], *, prefix: str) -> list[str]:
    """Save cleaned photos through Django storage: report photos under ``REPORT_PREFIX``/YYYY/MM/, others (a case's
    result photos) under ``prefix``/. Returns their storage names; nothing is left behind if one fails."""
    names: list[str] = []
    month = timezone.localtime().strftime("%Y/%m")
    folder = f"{prefix}/{month}" if prefix == REPORT_PREFIX else prefix
    attempt = ""
    try:
        for photo in photos:
            attempt = f"{folder}/{uuid.uuid4().hex}.jpg"
            names.append(default_storage.save(attempt, ContentFile(photo.data)))
    except OSError as exc:  # ENOSPC, EDQUOT, EROFS, EIO …: the storage's fault, not the photo's
        # A write that failed half-way leaves its file (Django's storage creates it first): that one goes too.
        discard([*names, attempt] if attempt not in names else names)
        log.error("photos not stored under %s: %s", folder, exc)
        raise StorageFull from exc
    except Exception:
        discard(names)
        raise
    return names


def discard(names: list[str]) -> None:
    """Remove stored photos again (what they belonged to was not accepted)."""
    for stored in names:
        with contextlib.suppress(OSError):  # nothing else to do; an orphan file is harmless
            default_storage.delete(stored)


def is_report_photo(stored: str) -> bool:
    return stored.startswith(REPORT_PREFIX + "/")
