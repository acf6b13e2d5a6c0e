"""The command centre's care panel: formulas.care over the registry's rows — residents in care per colour and care
group, visits overdue today, visits made this month and the share on time, per area one level down — counted exactly,
and never a name, an ID number or a phone (planted here), in the panel's data or on the page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.care import services
from gongzhi.care.models import Resident
from gongzhi.care.tests.factories import care_world, id_number
from gongzhi.core import timeutil
from gongzhi.grid.models import GridNode

pytestmark = pytest.mark.django_db

NAMES = ("欧阳秀英", "司马建国", "诸葛桂兰", "上官明")
PHONES = ("13712345601", "13712345602", "13712345603", "13712345604")


def _due(resident: Resident, day: date | None) -> None:
    Resident.objects.filter(pk=resident.pk).update(next_visit_due=day)


@pytest.fixture
def registry():
    w = care_world()
    today = timeutil.local_today()
    ids = [id_number(date(1935 + i, 3, 4)) for i in range(len(NAMES))]
    red = w.resident(name=NAMES[0], phone=PHONES[0], id_number=ids[0], level="red", groups=("living_alone", "aged"))
    yellow = w.resident(name=NAMES[1], phone=PHONES[1], id_number=ids[1], level="yellow", groups=("disabled",))
    green = w.resident(name=NAMES[2], phone=PHONES[2], id_number=ids[2], level="green", groups=("aged",))
    # Another community (under another street): one veteran in the ledger without a level.
    veteran = w.resident(
        name=NAMES[3],
        phone=PHONES[3],
        id_number=ids[3],
        groups=("veteran",),
        household=w.household(node=w.other_community, actor=w.other_staff),
        actor=w.other_staff,
    )
    w.resident(name="不在册", born=date(1990, 1, 1))  # no level, no group: not counted
    # Visits today: the red one on time, the yellow one late, the green one nobody at home (not a visit made).
    _due(red, today)
    services.record_visit(resident=red, visitor=w.steward, outcome="well")
    _due(yellow, today - timedelta(days=2))
    services.record_visit(resident=yellow, visitor=w.steward, outcome="problem", findings="水管漏水")
    services.record_visit(resident=green, visitor=w.steward, outcome="not_home", findings="无人")
    # Today's state: the red one due today, the yellow one and the green one overdue.
    _due(red, today)
    _due(yellow, today - timedelta(days=1))
    _due(green, today - timedelta(days=30))
    w.today, w.ids, w.veteran = today, ids, veteran
    return w


def _panel(client, user, node, month):
    client.force_login(user)
    response = client.get(reverse("analytics:panel", args=[node.pk, "care"]), {"month": month})
    assert response.status_code == 200
    return response


def test_the_care_panel_counts_exactly_per_colour_group_and_area(client, registry):
    w = registry
    response = _panel(client, w.leader, w.district, f"{w.today:%Y-%m}")
    data = response.json()
    assert data["figures"] == {
        "in_care": 4,
        "red": 1,
        "yellow": 1,
        "green": 1,
        "unlevelled": 1,
        "groups": {"aged": 2, "disabled": 1, "living_alone": 1, "veteran": 1},
        "overdue": 2,
        "due_today": 1,
        "visits": 2,
        "on_time": 1,
        "on_time_share": 0.5,
        "not_home": 1,
    }
    # The groups in the admin's order, with their names.
    assert [(g["code"], g["name"], g["residents"]) for g in data["groups"]] == [
        ("living_alone", "独居老人", 1),
        ("aged", "高龄老人", 2),
        ("disabled", "残疾人", 1),
        ("veteran", "退役军人", 1),
    ]
    streets = list(GridNode.objects.filter(parent=w.district).order_by("path"))
    assert [a["name"] for a in data["areas"]] == [s.name for s in streets]
    first, last = data["areas"][0]["figures"], data["areas"][-1]["figures"]
    assert (first["in_care"], first["overdue"], first["visits"], first["on_time_share"]) == (3, 2, 2, 0.5)
    assert (last["in_care"], last["unlevelled"], last["visits"], last["on_time_share"]) == (1, 1, 0, None)


def test_another_month_has_no_visits_and_the_state_of_today(client, registry):
    w = registry
    earlier = (w.today.replace(day=1) - timedelta(days=1)).replace(day=1)
    data = _panel(client, w.leader, w.community, f"{earlier:%Y-%m}").json()
    assert (data["figures"]["visits"], data["figures"]["on_time_share"]) == (0, None)
    assert (data["figures"]["in_care"], data["figures"]["overdue"]) == (3, 2)  # the other community is not here


def test_no_name_id_number_or_phone_in_the_panel_or_on_the_page(client, registry):
    w = registry
    texts = [_panel(client, w.leader, node, f"{w.today:%Y-%m}").content.decode() for node in (w.district, w.community)]
    page = client.get(reverse("analytics:dashboard", args=[w.district.pk]))
    assert page.status_code == 200 and 'id="care-panel"' in page.content.decode()
    texts.append(page.content.decode())
    resident = Resident.objects.exclude(id_masked="").first()
    for text in texts:
        for secret in (*NAMES, *PHONES, *w.ids, resident.id_masked, "不在册", "水管漏水"):
            assert secret not in text
        for name in NAMES:  # nor a masked name
            assert name[0] + "*" not in text and name[0] + "＊" not in text


def test_the_care_panel_is_out_of_scope_like_every_panel(client, registry):
    w = registry
    client.force_login(w.other_staff)  # community staff of another community
    response = client.get(
        reverse("analytics:panel", args=[w.community.pk, "care"]), {"month": f"{timezone.localdate():%Y-%m}"}
    )
    assert response.status_code == 404
    client.force_login(w.leader)
    bad = client.get(reverse("analytics:panel", args=[w.district.pk, "care"]), {"month": "2026-13"})
    assert bad.status_code == 400 and "error" in bad.json()
