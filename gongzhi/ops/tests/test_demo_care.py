"""The demo's care registry: households in the demo buildings in realistic proportions, valid made-up ID numbers,
residents in care (red few, yellow more, green most) with visits some late, rows for the demo steward's day —
and nothing personal in clear in the database's raw rows; idempotent."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.db.models import Count

from gongzhi.care import idcard, selectors
from gongzhi.care.choices import ResidentStatus
from gongzhi.care.models import Household, Move, Resident, Visit
from gongzhi.core import crypto, timeutil
from gongzhi.grid import demo
from gongzhi.ops import demo_care

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_registry_is_realistic_valid_and_encrypted():
    jurisdiction = demo.build_demo(password="demo-password-1").jurisdiction
    began = time.perf_counter()
    added = demo_care.build(jurisdiction)
    seconds = time.perf_counter() - began
    today = timeutil.local_today()
    residents = Resident.objects.filter(jurisdiction=jurisdiction)
    assert added["households"] == Household.objects.count() > 1000
    assert added["residents"] == residents.count()
    assert 2000 < added["residents"] < 6000  # a few thousand: the demo stays quick
    assert seconds < 30, seconds
    # Every household has a head who lives there; every resident moved in once (and out, for those who left).
    assert not Household.objects.filter(head__isnull=True).exists()
    assert Move.objects.filter(action="moved_in").count() == added["residents"]
    assert (
        Move.objects.filter(action="moved_out").count()
        == added["moved away"]
        == residents.filter(status=ResidentStatus.MOVED_AWAY, household__isnull=True).count()
    )

    # Ages: an ageing district, children and working ages too.
    ages = [idcard.age_on(born, today) for born in residents.values_list("born", flat=True)]
    seniors = sum(1 for a in ages if a >= 60) / len(ages)
    children = sum(1 for a in ages if a < 18) / len(ages)
    assert 0.15 < seniors < 0.45 and 0.08 < children < 0.3 and max(ages) <= 96

    # 10–15 % in a care group; levels: red few, yellow more, green most.
    living = residents.filter(status=ResidentStatus.LIVING)
    in_groups = living.filter(groups__isnull=False).distinct().count()
    assert 0.10 <= in_groups / living.count() <= 0.15, in_groups / living.count()
    levels = dict(living.exclude(level="").values_list("level").annotate(n=Count("pk")))
    assert 0 < levels["red"] < levels["yellow"] < levels["green"]
    assert (added["red"], added["yellow"], added["green"]) == (levels["red"], levels["yellow"], levels["green"])

    # Visits: some late, the schedule consistent with them, some residents overdue.
    visits = Visit.objects.filter(resident__jurisdiction=jurisdiction)
    assert visits.count() == added["visits"] > 500
    late = visits.filter(on_time=False).count()
    assert late == added["late visits"] and 0.03 < late / added["visits"] < 0.3
    assert not visits.filter(visited_on__gt=today).exists()
    overdue = living.exclude(level="").filter(next_visit_due__lt=today).count()
    assert overdue == added["overdue"] > 0
    assert not living.exclude(level="").filter(next_visit_due__isnull=True).exists()
    assert not living.filter(level="", next_visit_due__isnull=False).exists()

    # The demo steward (gj0001) and grid worker (wg001) have visits to make today, overdue ones among them.
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    for username in ("gj0001", "wg001"):
        day = selectors.due_visits(users.get(username=username), today=today)
        assert day.filter(next_visit_due__lt=today).count() >= 2, username

    # Every ID number is valid, in the non-existent region 99, matches its date of birth, sex and mask; unique.
    numbers = []
    for resident in residents.only("id_number", "born", "sex", "id_masked", "id_index", "name", "name_index"):
        parsed = idcard.parse(resident.id_number, today=today)
        assert parsed.region.startswith("99")
        assert (parsed.born, parsed.sex, idcard.mask(parsed.number)) == (
            resident.born,
            resident.sex,
            resident.id_masked,
        )
        assert resident.id_index == crypto.blind_index(parsed.number)
        numbers.append(parsed.number)
    assert len(set(numbers)) == len(numbers)

    # The raw rows hold no name, ID number or phone in clear.
    sample = residents.exclude(phone="").order_by("pk")[:20]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, id_number, phone FROM care_resident")
        raw = {value for row in cursor.fetchall() for value in row}
        cursor.execute("SELECT contact_phone FROM care_household")
        raw |= {row[0] for row in cursor.fetchall()}
    for resident in sample:
        assert resident.name and resident.name not in raw
        assert resident.id_number not in raw and resident.phone not in raw
        assert not any(resident.phone in value for value in raw if value)
    assert not any(value and value[:2] == "99" and len(value) == 18 for value in raw)

    # Idempotent: a second run adds nothing.
    assert demo_care.build(jurisdiction)["households"] == 0
    assert Resident.objects.count() == added["residents"]
