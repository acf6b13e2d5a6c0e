from __future__ import annotations

import pytest
from django.core.management import call_command

from gongzhi.grid.tests.factories import make_tree
from gongzhi.open311 import keys
from gongzhi.open311.models import Open311Key

pytestmark = pytest.mark.django_db


def test_keys_are_stored_as_hashes_and_the_demo_key_is_stable():
    jurisdiction = make_tree(1).jurisdiction
    row, raw = keys.create_key(name="city app", jurisdiction=jurisdiction)
    assert raw not in (row.key_hash, row.prefix) and keys.key_for(raw) == row
    row.active = False
    row.save()
    assert keys.key_for(raw) is None and keys.key_for("") is None and keys.key_for("x" * 500) is None
    first = keys.demo_key(jurisdiction=jurisdiction)
    assert keys.demo_key(jurisdiction=jurisdiction) == first
    assert Open311Key.objects.filter(name="demo").count() == 1 and keys.key_for(first).name == "demo"


def test_command_prints_a_new_key(capsys):
    call_command("open311_key", "hotline app")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("o311_") and keys.key_for(raw).name == "hotline app"
