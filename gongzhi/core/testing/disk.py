"""A media folder on a full disk, for tests of what happens when a photo cannot be written.

As root (CI), where mounting is allowed, it is a real one: a 64 KiB tmpfs mounted at the folder and filled to its
last few kilobytes, so the operating system itself answers ENOSPC. Elsewhere (a developer without root, a container
that may not mount) the storage's writes are made to fail with the same error (``monkeypatch``), and the test says
which it used.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SIZE_KB = 64
LEFT_BYTES = 2048  # room for a directory entry or two, never for a photo


def can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None and shutil.which("umount") is not None


@contextmanager
def full_disk(folder: Path, monkeypatch: Any) -> Iterator[str]:
    """``folder`` (created) on a disk with no room left; yields "tmpfs" or "simulated"."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = can_mount() and (
        subprocess.run(  # noqa: S603
            ["mount", "-t", "tmpfs", "-o", f"size={SIZE_KB}k", "tmpfs", str(folder)],  # noqa: S607
            check=False,
            capture_output=True,
        ).returncode
        == 0
    )  # root in a container without CAP_SYS_ADMIN cannot mount: simulated then
    if mounted:
        try:
            free = shutil.disk_usage(folder).free
            with (folder / ".filler").open("wb") as out:
                out.write(b"\0" * max(0, free - LEFT_BYTES))
            yield "tmpfs"
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)  # noqa: S603, S607
        return
    from django.core.files.storage import FileSystemStorage

    def no_room(*args: Any, **kwargs: Any) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(FileSystemStorage, "_save", no_room)
    yield "simulated"


def files_in(folder: Path) -> list[Path]:
    """The files under ``folder`` but the filler."""
    return [p for p in folder.rglob("*") if p.is_file() and p.name != ".filler"] if folder.exists() else []
