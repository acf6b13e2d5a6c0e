"""Residents' photos: cleaned by the one cleaner every upload goes through (``core.photos``: judged by content,
bounded, resized, re-encoded without any metadata) and stored as the case's report photos."""

from __future__ import annotations

from gongzhi.core import photos as _photos
from gongzhi.core.photos import (
    MAX_SIDE,
    REPORT_PREFIX,
    CleanPhoto,
    PhotoError,
    StorageFull,
    clean,
    discard,
    is_report_photo,
)

MAX_PHOTOS = _photos.MAX_REPORT_PHOTOS

__all__ = [
    "MAX_PHOTOS",
    "MAX_SIDE",
    "REPORT_PREFIX",
    "CleanPhoto",
    "PhotoError",
    "StorageFull",
    "clean",
    "discard",
    "is_report_photo",
    "request_limit",
    "store",
]


def store(photos: list[CleanPhoto]) -> list[str]:
    """Save a report's cleaned photos (as report photos: never on the public board); returns their storage names."""
    return _photos.store(photos, prefix=REPORT_PREFIX)


def request_limit() -> int:
    """The largest report a resident can send: MAX_PHOTOS photos at the largest size, and the text."""
    return _photos.request_limit(MAX_PHOTOS)
