"""Django's own strings in Chinese: what the installed Django's zh_Hans catalogues lack, ours provides (the admin's
"Filter by …", forms' "- Select an option -", the admin's date widgets), and the admin shows it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

DJANGO = Path(django.__file__).parent
OURS = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _catalogue(po: Path) -> dict[tuple[str | None, str], bool]:
    """(context, msgid) → translated?, for every entry but the header."""
    entries: dict[tuple[str | None, str], bool] = {}
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        parts: dict[str, str] = {}
        current = ""
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                current = match.group(1)
                parts[current] = eval(match.group(2))  # noqa: S307 - a PO string literal
            elif line.startswith('"') and current:
                parts[current] += eval(line)  # noqa: S307
        if parts.get("msgid"):
            translated = any(v for k, v in parts.items() if k.startswith("msgstr"))
            entries[(parts.get("msgctxt"), parts["msgid"])] = translated
    return entries


def _gaps(locale_dir: Path, domain: str) -> set[tuple[str | None, str]]:
    english = _catalogue(locale_dir / "en" / "LC_MESSAGES" / f"{domain}.po")
    chinese = _catalogue(locale_dir / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po")
    return {key for key in english if not chinese.get(key)}


def _installed_locale_dirs() -> list[Path]:
    dirs = [DJANGO / "conf" / "locale"]
    for config in apps.get_app_configs():
        path = Path(config.path) / "locale"
        if config.name.startswith("django.") and (path / "en" / "LC_MESSAGES" / "django.po").exists():
            dirs.append(path)
    return dirs


def test_every_string_djangos_chinese_catalogues_lack_is_in_ours():
    ours = _catalogue(OURS / "django.po")
    missing = {}
    for locale_dir in _installed_locale_dirs():
        lacking = {key for key in _gaps(locale_dir, "django") if not ours.get(key)}
        if lacking:
            missing[str(locale_dir.relative_to(DJANGO))] = sorted(k[1] for k in lacking)
    assert missing == {}, "add them to gongzhi/core/django_strings.py, run make messages and translate"


def test_every_admin_javascript_string_djangos_catalogue_lacks_is_in_ours():
    ours = _catalogue(OURS / "djangojs.po")
    lacking = sorted(k[1] for k in _gaps(DJANGO / "contrib" / "admin" / "locale", "djangojs") if not ours.get(k))
    assert lacking == [], "add them to gongzhi/locale/zh_Hans/LC_MESSAGES/djangojs.po and run make messages"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext (Debian package gettext)")
def test_the_javascript_catalogue_is_compiled(tmp_path):
    compiled = tmp_path / "djangojs.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(OURS / "djangojs.po")], check=True)
    assert compiled.read_bytes() == (OURS / "djangojs.mo").read_bytes(), "run `make messages` and commit the .mo"


def test_django_strings_read_in_chinese():
    with translation.override("zh-hans"):
        assert translation.gettext("Filter by %(field_name)s") % {"field_name": "提交时间"} == "按提交时间筛选"
        assert translation.gettext("- Select an option -") == "- 请选择 -"
        assert str(apps.get_app_config("django_tasks_database").verbose_name) == "后台任务"
        from django.db.models.utils import get_blank_choice_label

        assert str(get_blank_choice_label()) == "- 请选择 -"  # the empty choice of every select from a model field


@pytest.mark.django_db
def test_the_admin_shows_them(client):
    admin = get_user_model().objects.create(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    index = client.get(reverse("admin:index")).content.decode()
    assert "后台任务" in index and "Tasks Database Backend" not in index
    changelist = client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert "Filter by" not in changelist and re.search(r"按\S+筛选", changelist)
    script = client.get(reverse("admin:jsi18n")).content.decode()
    assert "\\u4eca\\u5929\\uff08%(date)s\\uff09" in script or "今天（%(date)s）" in script
