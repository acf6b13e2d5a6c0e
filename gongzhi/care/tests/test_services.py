from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection

from gongzhi.care import selectors, services
from gongzhi.care.choices import Access, LinkKind, Outcome, Purpose, ResidentStatus
from gongzhi.care.models import AccessEntry, LevelChange, Move, Resident, Visit
from gongzhi.care.tests.factories import care_world, id_number, phone
from gongzhi.core import timeutil
from gongzhi.core.errors import Conflict, DomainError, NotFound

pytestmark = pytest.mark.django_db


def test_resident_is_stored_encrypted_and_found_by_exact_name_id_and_phone() -> None:
    world = care_world()
    number = id_number(date(1938, 2, 28))
    resident = world.resident(name="李桂兰", id_number=number, phone=phone(7), level="red")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, id_number, phone, id_masked FROM care_resident WHERE id = %s", [resident.pk])
        raw = cursor.fetchone()
    assert "李桂兰" not in raw[0] and number not in raw[1] and phone(7) not in raw[2]
    assert raw[3] == number[:6] + "********" + number[-4:]
    assert resident.born == date(1938, 2, 28) and resident.sex in {"m", "f"}
    for text in ("李桂兰", " 李 桂兰 ", number, number.lower(), phone(7), "137 0000 0007"):
        assert [r.pk for r in selectors.search(world.steward, text)] == [resident.pk], text
    assert selectors.search(world.other_staff, "李桂兰") == []
    assert selectors.search(world.leader, number) == []


def test_search_first_refuses_browsing() -> None:
    world = care_world()
    world.resident()
    with pytest.raises(DomainError):
        selectors.search(world.staff, "")
    with pytest.raises(DomainError):
        selectors.search(world.staff, "王")


def test_bad_id_number_refused_and_nothing_written() -> None:
    world = care_world()
    household = world.household()
    good = id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    for number in (bad, "12345", "99010119401317123X", "990101" + "20991231" + "0012"):
        with pytest.raises(DomainError):
            services.add_resident(
                household=household, person=services.Person(name="张三", id_number=number), actor=world.staff
            )
    assert Resident.objects.count() == 0 and Move.objects.count() == 0


def test_same_id_number_twice_is_a_conflict() -> None:
    world = care_world()
    number = id_number()
    world.resident(id_number=number)
    with pytest.raises(Conflict):
        world.resident(id_number=number, name="另一个")
    assert Resident.objects.count() == 1


def test_out_of_scope_staff_cannot_write_or_read() -> None:
    world = care_world()
    resident = world.resident(level="yellow")
    with pytest.raises(NotFound):
        services.set_level(resident=resident, level="red", reason="x", actor=world.other_staff)
    with pytest.raises(NotFound):
        services.read_full(user=world.other_staff, resident=resident, purpose=Purpose.VISIT)
    with pytest.raises(NotFound):
        services.read_full(user=world.leader, resident=resident, purpose=Purpose.VISIT)
    with pytest.raises(NotFound):
        services.read_full(user=world.other_steward, resident=resident, purpose=Purpose.VISIT)
    assert AccessEntry.objects.count() == 0
    assert Resident.objects.get(pk=resident.pk).level == "yellow"


def test_read_full_writes_exactly_one_log_row_and_log_is_append_only() -> None:
    world = care_world()
    resident = world.resident()
    services.read_full(user=world.steward, resident=resident, purpose=Purpose.VISIT, detail="上门前核对")
    entry = AccessEntry.objects.get()
    assert (entry.user, entry.action, entry.resident_id_ref, entry.purpose) == (
        world.steward,
        Access.READ,
        resident.pk,
        Purpose.VISIT,
    )
    with pytest.raises(DomainError):
        services.read_full(user=world.steward, resident=resident, purpose="curiosity")
    assert AccessEntry.objects.count() == 1
    entry.detail = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert AccessEntry.objects.get().detail == "上门前核对"


def test_level_history_and_schedule() -> None:
    world = care_world()
    start = timeutil.now()
    resident = world.resident(level="green", at=start)
    green_due = resident.next_visit_due
    assert green_due is not None and green_due >= timeutil.local(start).date() + timedelta(days=80)
    services.set_level(resident=resident, level="red", reason="摔倒后独居", actor=world.staff, at=start)
    resident.refresh_from_db()
    assert resident.next_visit_due is not None and resident.next_visit_due <= timeutil.local(start).date() + timedelta(
        days=10
    )
    assert list(LevelChange.objects.filter(resident=resident).values_list("level_from", "level_to")) == [
        ("", "green"),
        ("green", "red"),
    ]
    with pytest.raises(DomainError):
        services.set_level(resident=resident, level="red", reason="again", actor=world.staff)
    with pytest.raises(DomainError):
        services.set_level(resident=resident, level="yellow", reason="", actor=world.staff)


def test_visit_on_time_then_late_and_case_link() -> None:
    world = care_world()
    resident = world.resident(level="red")
    due = resident.next_visit_due
    later = timeutil.now() + timedelta(days=(due - timeutil.local_today()).days)
    visit = services.record_visit(resident=resident, visitor=world.steward, outcome=Outcome.WELL, at=later)
    assert visit.on_time and visit.due == due
    resident.refresh_from_db()
    assert resident.last_visit == due and resident.next_visit_due > due
    with pytest.raises(DomainError):
        services.record_visit(resident=resident, visitor=world.steward, outcome=Outcome.PROBLEM, findings="", at=later)
    with pytest.raises(NotFound):
        services.record_visit(resident=resident, visitor=world.other_steward, outcome=Outcome.WELL)
    assert Visit.objects.count() == 1
    link = services.link_case(
        resident=resident,
        case_id=42,
        tracking_code="ABC",
        kind=LinkKind.HELP,
        assistance="subsistence",
        visit=visit,
        actor=world.steward,
    )
    assert link.assistance == "subsistence"


def test_overdue_list_and_due_visits_scoped() -> None:
    world = care_world()
    past = timeutil.now() - timedelta(days=60)
    mine = world.resident(level="red", at=past)
    theirs = world.resident(household=world.household(node=world.other_micro_grid), level="red", at=past)
    today = timeutil.local_today()
    assert [r.pk for r in selectors.due_visits(world.steward, today=today)] == [mine.pk]
    assert {r.pk for r in selectors.overdue(world.staff, today=today)} == {mine.pk, theirs.pk}
    assert list(selectors.overdue(world.other_staff, today=today)) == []
    counts = {row["node_id"]: row["overdue"] for row in selectors.overdue_by_node(world.staff, today=today)}
    assert counts == {world.micro_grid.pk: 1, world.other_micro_grid.pk: 1}


def test_erasure_removes_every_personal_field_and_keeps_figures() -> None:
    world = care_world()
    household = world.household()
    resident = world.resident(household=household, name="赵德明", phone=phone(9), level="red", groups=("living_alone",))
    services.record_visit(resident=resident, visitor=world.steward, outcome=Outcome.PROBLEM, findings="赵德明家漏水")
    services.link_case(resident=resident, case_id=7, tracking_code="T7", kind=LinkKind.PROBLEM, actor=world.steward)
    neighbour = world.resident(household=household, name="赵小红", relation="spouse", level="green")
    first, last = timeutil.local_today() - timedelta(days=1), timeutil.local_today()
    assert len(selectors.figure_rows(world.community)) == 2
    assert selectors.visit_rows(world.community, first=first, last=last).count() == 1
    erased = services.erase(user=world.staff, resident=resident, reason="本人申请删除")
    assert erased.case_ids == (7,)
    row = Resident.objects.get(pk=resident.pk)
    assert (row.name, row.id_number, row.phone, row.id_masked, row.born) == ("", "", "", "", None)
    assert row.status == ResidentStatus.ERASED and row.level == "red"
    assert Visit.objects.get().findings == ""
    assert selectors.search(world.staff, "赵德明") == []
    with pytest.raises(NotFound):
        services.read_full(user=world.staff, resident=resident, purpose=Purpose.REQUEST)
    assert AccessEntry.objects.filter(action=Access.ERASE, resident_id_ref=resident.pk).count() == 1
    # The figures add up: the erased resident is no longer a resident in care, their visit still counts as made.
    assert [row.level for row in selectors.figure_rows(world.community)] == ["green"]
    assert selectors.visit_rows(world.community, first=first, last=last).count() == 1
    assert Resident.objects.get(pk=neighbour.pk).name == "赵小红"  # the household's other member is untouched


def test_move_out_stops_visits_and_keeps_history() -> None:
    world = care_world()
    resident = world.resident(level="red")
    services.move_out(resident=resident, on=timeutil.local_today(), actor=world.staff)
    resident.refresh_from_db()
    assert resident.status == ResidentStatus.MOVED_AWAY and resident.next_visit_due is None
    assert list(Move.objects.filter(resident=resident).values_list("action", flat=True)) == ["moved_in", "moved_out"]
    assert services.due_for_retention(older_than_days=0, today=timeutil.local_today() + timedelta(days=1)) == [
        resident.pk
    ]
    _ = datetime
