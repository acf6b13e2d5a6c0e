"""A full disk under the media folder (issue 29): storing photos fails with ``core.photos.StorageFull`` (507, a
message a person can act on) and leaves no photo behind — the first of two is removed when the second does not fit.
On CI (root) the disk is a real full tmpfs (core.testing.disk)."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from PIL import Image

from gongzhi.core import photos
from gongzhi.core.testing.disk import files_in, full_disk


def _photo(colour: tuple[int, int, int]) -> photos.CleanPhoto:
    out = io.BytesIO()
    Image.effect_noise((800, 600), 120).convert("RGB").save(out, format="JPEG", quality=95)
    return photos.clean(out.getvalue(), name=f"{colour}.jpg")


def test_no_photo_is_kept_when_the_disk_is_full(settings, tmp_path, monkeypatch):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    first, second = _photo((1, 2, 3)), _photo((4, 5, 6))
    with full_disk(media, monkeypatch) as how:
        print(f"disk: {how}")
        with pytest.raises(photos.StorageFull) as caught, translation.override("en"):
            photos.store([first, second], prefix="cases/1")
        assert caught.value.status == 507
        assert "storage is full" in caught.value.message and "Nothing was sent" in caught.value.message
        assert files_in(media) == []


def test_room_for_one_photo_but_not_two_keeps_neither(settings, tmp_path, monkeypatch):
    """The first photo is written, the second fails: the first is removed again."""
    from django.core.files.storage import FileSystemStorage

    settings.MEDIA_ROOT = tmp_path / "media"
    real_save = FileSystemStorage._save
    calls = []

    def second_fails(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", second_fails)
    with pytest.raises(photos.StorageFull):
        photos.store([_photo((1, 1, 1)), _photo((2, 2, 2))], prefix="cases/1")
    assert len(calls) == 2 and files_in(settings.MEDIA_ROOT) == []


def test_other_failures_are_not_called_a_full_disk(settings, tmp_path, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    settings.MEDIA_ROOT = tmp_path / "media"

    def bug(self, name, content):
        raise TypeError("a bug, not the disk")

    monkeypatch.setattr(FileSystemStorage, "_save", bug)
    with pytest.raises(TypeError):
        photos.store([_photo((3, 3, 3))], prefix="cases/1")
