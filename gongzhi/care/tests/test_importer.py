"""The registry's bulk write of a household ledger: every row checked, then everything written in one go or nothing."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from gongzhi.care import importer, selectors, services
from gongzhi.care.models import Household, LevelChange, Move, Resident
from gongzhi.care.tests.factories import CareWorld, care_world, id_number, phone
from gongzhi.core.errors import PermissionDenied
from gongzhi.grid.tests.factories import BuildingFactory

pytestmark = pytest.mark.django_db

AT = datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
TODAY = date(2025, 3, 3)


@pytest.fixture
def world() -> CareWorld:
    return care_world()


@pytest.fixture
def building(world: CareWorld):
    return BuildingFactory(node=world.micro_grid, jurisdiction=world.district.jurisdiction, code="B-1")


def row(line: int, **over: str) -> importer.LedgerRow:
    values = {
        "ledger": "H1",
        "building": "B-1",
        "room": "1单元101",
        "name": "王秀英",
        "id_number": id_number(date(1940, 5, 17)),
        "relation": "户主",
        "phone": phone(line),
        "groups": "独居老人、aged",
        "level": "红",
        "reason": "独居，行动不便",
    }
    values.update(over)
    return importer.LedgerRow(line=line, **values)


def run_check(world: CareWorld, rows: list[importer.LedgerRow], actor=None):
    return importer.check(rows, jurisdiction=world.district.jurisdiction, actor=actor or world.staff, today=TODAY)


def problems(found: list[importer.Problem]) -> set[tuple[int | None, str | None, str]]:
    return {(p.line, p.field, p.row_error("f.xlsx").english) for p in found}


def test_a_ledger_is_written_in_bulk_like_the_services_write_one_resident(world, building) -> None:
    head_id = id_number(date(1940, 5, 17))
    rows = [
        row(2, id_number=head_id),
        row(3, name="李建国", id_number=id_number(date(1968, 3, 12)), relation="子女", phone="", groups="", level="",
            reason=""),
        row(4, ledger="H2", room="2单元202", name="Anna Li", id_number=id_number(date(1990, 1, 1)), relation="head",
            groups="", level="green", reason="新迁入"),
    ]  # fmt: skip
    checked, found = run_check(world, rows)
    assert found == []
    seen: list[tuple[int, int]] = []
    imported = importer.write(
        checked, actor=world.staff, at=AT, progress=lambda done, total: seen.append((done, total))
    )
    assert imported.as_dict() == {
        "households_created": 2,
        "households_extended": 0,
        "residents": 3,
        "in_care": 2,
        "memberships": 2,
    }
    assert seen == [(3, 3)]
    h1 = Household.objects.get(code="H1")
    head = Resident.objects.get(id_index=services.crypto.blind_index(head_id))
    assert (h1.building_id, h1.node_id, h1.room, h1.head_id) == (building.pk, world.micro_grid.pk, "1单元101", head.pk)
    assert h1.contact_phone == phone(2) and h1.contact_index == services.crypto.blind_index(phone(2))
    assert (head.name, head.id_number, head.phone, head.relation) == ("王秀英", head_id, phone(2), "head")
    assert (head.born, head.id_masked) == (date(1940, 5, 17), head_id[:6] + "********" + head_id[-4:])
    assert (head.level, head.level_reason, head.level_since) == ("red", "独居，行动不便", TODAY)
    # Red is visited weekly: one week after the level was set (a working day).
    assert head.next_visit_due == date(2025, 3, 10)
    assert sorted(head.groups.values_list("code", flat=True)) == ["aged", "living_alone"]
    assert list(LevelChange.objects.filter(resident=head).values_list("level_from", "level_to", "reason", "by")) == [
        ("", "red", "独居，行动不便", world.staff.pk)
    ]
    assert Move.objects.filter(action="moved_in", on=TODAY).count() == 3
    child = Resident.objects.get(name_index=services.crypto.blind_index("李建国"))
    assert (child.household_id, child.level, child.next_visit_due, child.relation) == (h1.pk, "", None, "child")
    # Found by the registry's search, like a resident added through the services (a Latin name in any case).
    assert [r.pk for r in selectors.search(world.steward, "anna li")] == [Household.objects.get(code="H2").head_id]
    assert [r.pk for r in selectors.search(world.steward, head_id)] == [head.pk]
    assert [r.pk for r in selectors.search(world.steward, phone(2))] == [head.pk]
    # The clear values are nowhere in the rows.
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, id_number, phone FROM care_resident WHERE id = %s", [head.pk])
        raw = cursor.fetchone()
    assert "王秀英" not in raw[0] and head_id not in raw[1] and phone(2) not in raw[2]


def test_an_existing_household_gets_the_new_members(world, building) -> None:
    household = services.create_household(building=building, code="H1", actor=world.staff)
    head = world.resident(household=household, name="张三")
    rows = [row(2, relation="配偶", level="", reason="", groups="")]
    checked, found = run_check(world, rows)
    assert found == []
    imported = importer.write(checked, actor=world.staff, at=AT)
    assert (imported.households_created, imported.households_extended, imported.residents) == (0, 1, 1)
    assert Household.objects.get(pk=household.pk).head_id == head.pk
    assert household.members.count() == 2
    # A second head for it is refused.
    _, found = run_check(world, [row(2, id_number=id_number(), level="", reason="", groups="")])
    assert problems(found) == {(2, "relation", "household H1 already has a head in the registry")}


def test_every_problem_is_named_by_row_and_field(world, building) -> None:
    BuildingFactory(node=world.other_community, jurisdiction=world.district.jurisdiction, code="FAR")
    BuildingFactory(node=world.micro_grid, jurisdiction=world.district.jurisdiction, code="B-2")
    services.create_household(building=building, code="OLD", actor=world.staff)
    registered = world.resident(name="赵六").id_number
    same = id_number()
    good = id_number()
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        row(2, id_number=same),
        row(3, id_number=same, relation="子女"),  # the same ID twice
        row(4, ledger="H3", id_number=bad_check),
        row(5, ledger="H4", id_number=id_number(), building="NOPE"),
        row(6, ledger="H5", id_number=id_number(), building="FAR"),
        row(7, ledger="H1", id_number=id_number(), relation="子女", building="B-2"),  # H1 is in B-1 (row 2)
        row(8, ledger="H6", id_number=id_number(), relation="叔叔"),
        row(9, ledger="H7", id_number=id_number(), level="紫"),
        row(10, ledger="H8", id_number=id_number(), groups="独居老人、外星人"),
        row(11, ledger="H9", id_number=id_number(), reason=""),
        row(12, ledger="H10", id_number=id_number()),
        row(13, ledger="H10", id_number=id_number()),  # a second head
        row(14, ledger="H11", id_number=id_number(), phone="1380013800a"),
        row(15, ledger="H12", id_number=registered),
        row(16, ledger="H13", id_number="990101" + "20991231" + "0012", name=""),
        row(17, ledger="OLD", id_number=id_number(), building="B-2"),
    ]
    _checked, found = run_check(world, rows)
    assert problems(found) == {
        (3, "id_number", "the same ID number is on rows 2 and 3"),
        (4, "id_number", "the ID number's check character is wrong (a digit mistyped?)"),
        (5, "building", "no building with code NOPE"),
        (6, "building", "building FAR is outside the area whose registry you keep"),
        (7, "building", "household H1 is in building B-1 on row 2: one household, one building"),
        (8, "relation", "unknown relation “叔叔” (write 户主, 配偶, 子女, 父母, 孙子女 or 其他)"),
        (9, "level", "unknown care level “紫” (write 红, 黄 or 绿)"),
        (10, "groups", "unknown care group “外星人”"),
        (11, "reason", "a care level needs its reason"),
        (13, "relation", "household H10 has more than one head (rows 12, 13)"),
        (14, "phone", "not a phone number (7 to 12 digits)"),
        (15, "id_number", "this ID number is already in the registry"),
        (16, "name", "required"),
        (16, "id_number", "the date of birth in the ID number is not possible"),
        (17, "ledger", "household OLD is registered in another building"),
    }
    assert [p.line for p in found] == sorted(p.line for p in found)


def test_the_write_checks_the_scope_again_and_writes_nothing(world, building) -> None:
    checked, found = run_check(world, [row(2), row(3, ledger="H2", id_number=id_number())])
    assert found == []
    with pytest.raises(PermissionDenied):
        importer.write(checked, actor=world.other_staff, at=AT)
    assert (Household.objects.count(), Resident.objects.count(), Move.objects.count()) == (0, 0, 0)


def test_a_failure_half_way_writes_nothing(world, building, monkeypatch) -> None:
    rows = [row(n, ledger=f"H{n}", id_number=id_number()) for n in range(2, 12)]
    checked, found = run_check(world, rows)
    assert found == []

    def fail(done: int, total: int) -> None:
        raise RuntimeError("the worker died")

    with pytest.raises(RuntimeError):
        importer.write(checked, actor=world.staff, at=AT, batch_size=3, progress=fail)
    assert (Household.objects.count(), Resident.objects.count(), LevelChange.objects.count()) == (0, 0, 0)


def test_batches_and_progress(world, building) -> None:
    rows = [row(n, ledger=f"H{n // 3}", id_number=id_number(), relation="户主" if n % 3 == 0 else "子女",
                level="", reason="", groups="") for n in range(3, 30)]  # fmt: skip
    checked, found = run_check(world, rows)
    assert found == []
    seen: list[int] = []
    imported = importer.write(checked, actor=world.staff, at=AT, batch_size=10, progress=lambda d, t: seen.append(d))
    assert seen == [10, 20, 27] and imported.residents == 27 and imported.households_created == 9
    for household in Household.objects.all():
        assert household.head is not None and household.head.relation == "head"
        assert household.members.count() == 3


def test_words_and_codes_both_read(world, building) -> None:
    rows = [
        row(2, relation="HEAD", level="Yellow", groups="living_alone，高龄老人"),
        row(3, ledger="H2", id_number=id_number(), relation="household head", level="黄色",
            groups="空巢老人;disabled；低保/特困"),
    ]  # fmt: skip
    checked, found = run_check(world, rows)
    assert found == []
    people = [p for h in checked.households for p in h.people]
    assert [(p.relation, p.level, len(p.groups)) for p in people] == [("head", "yellow", 2), ("head", "yellow", 3)]
