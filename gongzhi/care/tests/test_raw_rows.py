"""The database holds no name, ID number or phone of a resident in clear — not in any text column of the care tables
(both databases), not anywhere in the SQLite database's bytes — and the field keys rotate (and the blind indexes are
rebuilt) over the care registry like over every other encrypted field."""

from __future__ import annotations

import io
from datetime import date

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings

from gongzhi.care import importer, selectors, services
from gongzhi.care.models import Household, Resident
from gongzhi.care.tests.factories import CareWorld, care_world, id_number
from gongzhi.grid.tests.factories import BuildingFactory

pytestmark = pytest.mark.django_db

NAMES = ("欧阳秀英", "Anna Li")
PHONES = ("13912345678", "02187654321")
CONTACT = "13687654321"


def _registry(world: CareWorld) -> dict[str, list[str]]:
    """Residents and a household contact written through the services, and two more through the ledger import."""
    household = world.household(code="RAW-1", contact_phone=CONTACT)
    numbers = [id_number(date(1941, 2, 3)), id_number(date(1985, 12, 30))]
    for name, number, phone in zip(NAMES, numbers, PHONES, strict=True):
        world.resident(household=household, name=name, id_number=number, phone=phone, relation="", level="yellow")
    BuildingFactory(node=world.micro_grid, jurisdiction=world.district.jurisdiction, code="RAW-B")
    imported = [id_number(date(1950, 6, 1)), id_number(date(1960, 7, 2))]
    rows = [
        importer.LedgerRow(line=2, ledger="RAW-2", building="RAW-B", name="司马光明", id_number=imported[0],
                           relation="户主", phone="13711112222", level="红", reason="独居"),
        importer.LedgerRow(line=3, ledger="RAW-2", building="RAW-B", name="诸葛亮亮", id_number=imported[1],
                           relation="配偶", phone="13733334444"),
    ]  # fmt: skip
    checked, problems = importer.check(rows, jurisdiction=world.district.jurisdiction, actor=world.staff)
    assert problems == []
    importer.write(checked, actor=world.staff)
    return {
        "names": [*NAMES, "司马光明", "诸葛亮亮"],
        "numbers": numbers + imported,
        "phones": [*PHONES, CONTACT, "13711112222", "13733334444"],
    }


def _care_text_columns() -> list[tuple[str, str]]:
    """Every text column of every care table, from the database's own catalogue."""
    tables = [t for t in connection.introspection.table_names() if t.startswith("care_")]
    assert {"care_resident", "care_household", "care_levelchange", "care_visit", "care_accessentry"} <= set(tables)
    found = []
    with connection.cursor() as cursor:
        for table in tables:
            for column in connection.introspection.get_table_description(cursor, table):
                kind = connection.introspection.get_field_type(column.type_code, column)
                if kind in ("CharField", "TextField", "SlugField"):
                    found.append((table, column.name))
    return found


def _all_text() -> str:
    quote = connection.ops.quote_name
    values: list[str] = []
    with connection.cursor() as cursor:
        for table, column in _care_text_columns():
            cursor.execute(f"SELECT {quote(column)} FROM {quote(table)}")  # noqa: S608 - names from the catalogue
            values += [row[0] for row in cursor.fetchall() if row[0]]
    return "\n".join(values)


def _variants(number: str) -> list[str]:
    """An ID number's clear forms: whole, and the date of birth with the sequence (what a mask must never show)."""
    return [number, number[6:14], number.lower()]


def test_no_clear_name_id_number_or_phone_in_any_text_column() -> None:
    world = care_world()
    clear = _registry(world)
    text = _all_text()
    # The check can fail: what is kept in clear on purpose (ledger numbers, masked ID numbers) is found.
    assert "RAW-1" in text and "RAW-2" in text
    assert clear["numbers"][0][:6] + "********" + clear["numbers"][0][-4:] in text
    for name in clear["names"]:
        assert name not in text and name.lower() not in text, name
    for number in clear["numbers"]:
        for variant in _variants(number):
            assert variant not in text, variant
    for phone in clear["phones"]:
        assert phone not in text, phone
    # …and they all read back through the model.
    household = Household.objects.get(code="RAW-1")
    assert household.contact_phone == CONTACT
    assert sorted(Resident.objects.values_list("name", flat=True)) == sorted(clear["names"])


def test_no_clear_value_anywhere_in_the_sqlite_database_bytes() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads the SQLite database's bytes")
    world = care_world()
    clear = _registry(world)
    connection.ensure_connection()
    # The tests' SQLite database lives in memory: its bytes are what would be on disk (every table, every index).
    data = connection.connection.serialize()
    assert b"RAW-1" in data and "独居".encode() in data  # the check can fail: clear text is found
    for value in [*clear["names"], *clear["phones"], *clear["numbers"]]:
        assert value.encode() not in data, value
    for number in clear["numbers"]:
        assert number[6:14].encode() not in data, number  # the date of birth and sequence of the ID number


def test_rotating_the_field_keys_reencrypts_care_fields_and_reindexing_keeps_search(settings) -> None:
    world = care_world()
    clear = _registry(world)
    resident = Resident.objects.get(id_index=services.crypto.blind_index(clear["numbers"][1]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, id_number, phone FROM care_resident WHERE id = %s", [resident.pk])
        before = cursor.fetchone()
        cursor.execute("SELECT contact_phone FROM care_household WHERE code = %s", ["RAW-1"])
        contact_before = cursor.fetchone()[0]
    old_key = settings.GONGZHI_FIELD_KEYS[0]
    new_key = Fernet.generate_key().decode()
    new_index_key = "another blind index key for the test"
    out = io.StringIO()
    with override_settings(GONGZHI_FIELD_KEYS=(new_key, old_key), GONGZHI_BLIND_INDEX_KEY=new_index_key):
        call_command("rotate_field_keys", "--reindex", stdout=out)
    # Found generically: every EncryptedTextField of the care app.
    assert "care.Resident: " in out.getvalue() and "(name, id_number, phone)" in out.getvalue()
    assert "care.Household: " in out.getvalue() and "(contact_phone)" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, id_number, phone FROM care_resident WHERE id = %s", [resident.pk])
        after = cursor.fetchone()
        cursor.execute("SELECT contact_phone FROM care_household WHERE code = %s", ["RAW-1"])
        contact_after = cursor.fetchone()[0]
    assert all(a != b for a, b in zip(after, before, strict=True)) and contact_after != contact_before
    # Only the new key is needed now, and the rebuilt indexes find everyone by every kind of search.
    with override_settings(GONGZHI_FIELD_KEYS=(new_key,), GONGZHI_BLIND_INDEX_KEY=new_index_key):
        again = Resident.objects.get(pk=resident.pk)
        assert (again.name, again.id_number, again.phone) == ("Anna Li", clear["numbers"][1], PHONES[1])
        assert Household.objects.get(code="RAW-1").contact_phone == CONTACT
        for text in ("Anna Li", "anna li", clear["numbers"][1], PHONES[1]):
            assert [r.pk for r in selectors.search(world.steward, text)] == [resident.pk], text
        for name in ("欧阳秀英", "司马光明", "诸葛亮亮"):
            assert len(selectors.search(world.steward, name)) == 1, name
        assert Household.objects.filter(contact_index=services.crypto.blind_index(CONTACT)).count() == 1
    # The old key alone no longer opens them.
    with override_settings(GONGZHI_FIELD_KEYS=(old_key,)), pytest.raises(services.crypto.DecryptionFailed):
        Resident.objects.get(pk=resident.pk)
