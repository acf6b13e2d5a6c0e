"""The zh_Hans catalogue is complete, compiled, and in step with the source strings (DESIGN.md §3)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]
LOCALE = PACKAGE / "locale"


def _entries(po: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for every entry but the header; plural entries use their first form."""
    entries: list[tuple[str, str, bool]] = []
    msgid: list[str] = []
    msgstr: list[str] = []
    fuzzy = False
    target: list[str] | None = None

    def flush() -> None:
        if msgid or msgstr:
            entries.append(("".join(msgid), "".join(msgstr), fuzzy))

    for line in po.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,") and "fuzzy" in line:
            flush()
            msgid, msgstr, target = [], [], None
            fuzzy = True
        elif line.startswith(("msgid ", "msgctxt ")):
            if msgstr:
                flush()
                msgid, msgstr = [], []
                fuzzy = False
            target = msgid if line.startswith("msgid ") else None
            if target is not None:
                target.append(eval(line.split(" ", 1)[1]))  # noqa: S307 - a PO string literal
        elif line.startswith(("msgstr ", "msgstr[0] ")):
            target = msgstr
            msgstr.append(eval(line.split(" ", 1)[1]))  # noqa: S307
        elif line.startswith(("msgid_plural", "msgstr[")):
            target = None
        elif line.startswith('"') and target is not None:
            target.append(eval(line))  # noqa: S307
        elif not line.strip():
            flush()
            msgid, msgstr, target, fuzzy = [], [], None, False
    flush()
    return [e for e in entries if e[0]]


def test_every_zh_hans_string_is_translated_and_none_is_fuzzy():
    entries = _entries(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 50
    assert [e[0] for e in entries if not e[1]] == []
    assert [e[0] for e in entries if e[2]] == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext (Debian package gettext)")
@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_compiled_catalogue_matches_the_po_file(tmp_path, language):
    folder = LOCALE / language / "LC_MESSAGES"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(folder / "django.po")], check=True)
    assert compiled.read_bytes() == (folder / "django.mo").read_bytes(), "run `make messages` and commit the .mo"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext (Debian package gettext)")
def test_catalogue_holds_every_source_string(tmp_path):
    """Extract the strings afresh from a copy of the package and compare with the committed catalogue."""
    copy = tmp_path / "gongzhi"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("vendor", "__pycache__", "*.mo", "tests"))
    # PYTHONPATH makes the copy *the* gongzhi package, so LOCALE_PATHS points into the copy, not the repository.
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "GONGZHI_DATA_DIR": str(tmp_path / "data")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "gongzhi",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore",
            "static/vendor/*",
            "-v",
            "0",
        ],
        cwd=copy,
        env=env,
        check=True,
    )
    fresh = {e[0] for e in _entries(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")}
    committed = {e[0] for e in _entries(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po")}
    assert sorted(fresh - committed) == [], "new strings: run `make messages` and translate them"
