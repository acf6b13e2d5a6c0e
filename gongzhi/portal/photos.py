"""Photos residents upload: checked by content (not by name or declared type), size-limited, resized, and re-encoded
without any metadata, so EXIF (GPS position, device, time) never reaches storage or a public page.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# What we accept, by what Pillow finds in the bytes.
FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
MAX_SIDE = 1600  # px: enough to see a broken lamp, small enough for a phone on 4G
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAX_PHOTOS = 4
JPEG_QUALITY = 82
# Storage prefix of residents' photos; result photos the staff upload live elsewhere (see README).
REPORT_PREFIX = "cases/reports"


class PhotoError(ValueError):
    """A photo we cannot take; the message is shown to the resident. ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes  # JPEG, no metadata
    width: int
    height: int


def max_bytes() -> int:
    return int(settings.GONGZHI_PHOTO_MAX_MB * 1024 * 1024)


def clean(upload: object, *, name: str = "") -> CleanPhoto:
    """Validate one upload and return it re-encoded as a metadata-free JPEG of at most MAX_SIDE px."""
    size = getattr(upload, "size", None)
    label = name or getattr(upload, "name", "") or _("photo")
    limit = max_bytes()
    if size is not None and size > limit:
        raise PhotoError(
            _("%(name)s is too large (%(size).1f MB); photos may be at most %(limit).0f MB.")
            % {"name": label, "size": size / 1024 / 1024, "limit": limit / 1024 / 1024},
            status=413,
        )
    raw = upload.read() if hasattr(upload, "read") else bytes(upload)  # type: ignore[call-overload]
    if len(raw) > limit:
        raise PhotoError(
            _("%(name)s is too large (%(size).1f MB); photos may be at most %(limit).0f MB.")
            % {"name": label, "size": len(raw) / 1024 / 1024, "limit": limit / 1024 / 1024},
            status=413,
        )
    not_an_image = PhotoError(_("%(name)s is not a photo we can read (JPEG, PNG, WebP or GIF).") % {"name": label})
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in FORMATS:
                raise not_an_image
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoError(_("%(name)s has too many pixels.") % {"name": label})
            probe.verify()  # structure check; the image must be reopened after verify()
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            # Turn the picture upright first: the orientation tag goes away with the rest of the EXIF.
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            # A fresh image carries no info; saving without exif=/icc_profile= writes no metadata at all.
            fresh = Image.new("RGB", image.size)
            fresh.paste(image)
            fresh.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
            return CleanPhoto(out.getvalue(), fresh.width, fresh.height)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise not_an_image from None


def store(photos: list[CleanPhoto]) -> list[str]:
    """Save cleaned photos through Django storage (so any worker can serve them); returns their storage names."""
    names = []
    month = timezone.localtime().strftime("%Y/%m")
    try:
        for photo in photos:
            names.append(
                default_storage.save(f"{REPORT_PREFIX}/{month}/{uuid.uuid4().hex}.jpg", ContentFile(photo.data))
            )
    except Exception:
        discard(names)
        raise
    return names


def discard(names: list[str]) -> None:
    """Remove stored photos again (the report they belonged to was not accepted)."""
    for stored in names:
        with contextlib.suppress(OSError):  # nothing else to do; an orphan file is harmless
            default_storage.delete(stored)


def is_report_photo(stored: str) -> bool:
    return stored.startswith(REPORT_PREFIX + "/")
