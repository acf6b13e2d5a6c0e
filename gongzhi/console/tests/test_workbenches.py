"""What the workbenches show and do, through the Django test client (English UI; data asserted in any language)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent, SupervisionNotice
from gongzhi.cases.tests.factories import world
from gongzhi.console import selectors
from gongzhi.console.tests.suggestions import suggest
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


@pytest.fixture
def login(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def as_(user):
        client.logout()
        client.force_login(user)
        return client

    return as_


def _codes(response) -> list[str]:
    import re

    return re.findall(r'data-code="([0-9A-Z]+)"', response.content.decode())


# ------------------------------------------------------------------------------------------------------ my tasks


def test_my_tasks_sorted_by_deadline_with_colours_and_pool_accept(w, login):
    late = w.to_accepted(title="路灯不亮")
    soon = w.to_accepted(title="井盖松动")
    now = timezone.now()
    Case.objects.filter(pk=late.pk).update(resolve_due=now - timedelta(hours=1))
    Case.objects.filter(pk=soon.pk).update(resolve_due=now + timedelta(hours=1))
    pooled = w.submit(title="垃圾未清运")
    services.triage(case=pooled, actor=w.dispatcher, category=w.category)
    services.dispatch(case=pooled, actor=w.dispatcher, node=w.micro, pool=True)

    c = login(w.steward)
    page = c.get(reverse("console:tasks"))
    html = page.content.decode()
    assert _codes(page)[:2] == [late.tracking_code, soon.tracking_code]
    assert f'class="task-card sla-breached" data-code="{late.tracking_code}"' in html
    assert f'class="task-card sla-warning" data-code="{soon.tracking_code}"' in html
    assert pooled.tracking_code in _codes(page)
    # Both of my tasks are close to breach: the banner says so on every page.
    assert "2 of your tasks are overdue or due soon." in html

    # Accept from the pool: it moves to my tasks; the second steward is told it is taken and nothing changes.
    response = c.post(reverse("console:case_action", args=[pooled.pk, "accept"]), {"next": "tasks"})
    assert response.status_code == 302 and response["Location"] == reverse("console:tasks")
    pooled.refresh_from_db()
    assert (pooled.status, pooled.handler_user_id) == (t.ACCEPTED, w.steward.pk)
    events = pooled.event_count
    c2 = login(w.steward2)
    response = c2.post(reverse("console:case_action", args=[pooled.pk, "accept"]), follow=True)
    assert response.status_code == 403  # no longer offered: it is not dispatched any more
    pooled.refresh_from_db()
    assert (pooled.handler_user_id, pooled.event_count) == (w.steward.pk, events)


def test_resolve_with_photo_strips_metadata_and_serves_it_in_scope_only(w, login, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    case = w.to_accepted()
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    raw = io.BytesIO()
    image.save(raw, format="JPEG", exif=exif)
    upload = SimpleUploadedFile("p.jpg", raw.getvalue(), content_type="image/jpeg")
    c = login(w.steward)
    response = c.post(
        reverse("console:case_action", args=[case.pk, "resolve"]), {"result": "已清理干净", "photos": [upload]}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == t.RESOLVED and case.result == "已清理干净" and len(case.photos) == 1
    with default_storage.open(case.photos[0]) as stored, Image.open(stored) as saved:
        assert saved.size == (64, 48)
        assert not saved.getexif()
    photo = c.get(reverse("console:case_photo", args=[case.pk, 0]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert login(w.other_dispatcher).get(reverse("console:case_photo", args=[case.pk, 0])).status_code == 404


def test_resolve_refuses_a_file_that_is_not_an_image(w, login):
    case = w.to_accepted()
    before = case.event_count
    upload = SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = login(w.steward).post(
        reverse("console:case_action", args=[case.pk, "resolve"]), {"result": "好了", "photos": [upload]}
    )
    assert response.status_code == 400
    assert "is not a photo we can read" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.event_count) == (t.ACCEPTED, before)


def test_a_refused_service_call_is_a_message_and_changes_nothing(w, login):
    case = w.to_accepted()
    before = case.event_count
    response = login(w.steward).post(reverse("console:case_action", args=[case.pk, "hold"]), {"reason": "   "})
    assert response.status_code == 400  # the form refuses a blank reason
    case.refresh_from_db()
    assert (case.status, case.event_count) == (t.ACCEPTED, before)


# ---------------------------------------------------------------------------------------------------- record


def test_record_walk_in_on_behalf_and_solved_on_the_spot(w, login):
    c = login(w.steward)
    form = c.get(reverse("console:record"))
    assert str(w.building.pk) in form.content.decode()
    response = c.post(
        reverse("console:record"),
        {
            "channel": "walk_in",
            "building": w.building.pk,
            "title": "门禁卡坏了",
            "reporter_name": "张大爷",
            "reporter_phone": "13800138000",
            "solved_on_the_spot": "on",
            "result": "当场更换门禁卡",
        },
    )
    case = Case.objects.get(title="门禁卡坏了")
    assert response.status_code == 302 and response["Location"] == reverse("console:case", args=[case.pk])
    assert (case.channel, case.recorded_by_id, case.status, case.on_the_spot) == (
        "walk_in",
        w.steward.pk,
        t.RESOLVED,
        True,
    )
    assert case.reporter_phone == "13800138000"
    assert list(case.events.values_list("kind", flat=True)) == ["submitted", "resolved"]


def test_record_patrol_outside_own_area_is_refused(w, login):
    from gongzhi.grid.tests.factories import BuildingFactory

    elsewhere = BuildingFactory(node=w.other_community.children.first().children.first(), jurisdiction=w.jurisdiction)
    count = Case.objects.count()
    response = login(w.steward).post(
        reverse("console:record"), {"channel": "patrol", "building": elsewhere.pk, "title": "占道经营"}
    )
    assert response.status_code == 400
    assert Case.objects.count() == count


# -------------------------------------------------------------------------------------------- dispatcher queue


def test_queue_lists_the_desks_cases_only_and_dispatch_to_a_pool(w, login):
    mine = w.submit(title="楼道堆物")
    from gongzhi.grid.tests.factories import BuildingFactory

    other_building = BuildingFactory(
        node=w.other_community.children.first().children.first(), jurisdiction=w.jurisdiction
    )
    theirs = w.submit(title="别处的事", building=other_building)
    c = login(w.dispatcher)
    page = c.get(reverse("console:queue"))
    assert _codes(page) == [mine.tracking_code]
    assert theirs.tracking_code not in page.content.decode()

    c.post(reverse("console:case_action", args=[mine.pk, "triage"]), {"category": w.category.pk})
    detail = c.get(reverse("console:case", args=[mine.pk])).content.decode()
    assert f'value="pool:{w.micro.pk}"' in detail
    response = c.post(reverse("console:case_action", args=[mine.pk, "dispatch"]), {"target": f"pool:{w.micro.pk}"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.pooled, mine.handler_node_id) == (t.DISPATCHED, True, w.micro.pk)
    assert _codes(c.get(reverse("console:queue"))) == []
    assert mine.tracking_code in _codes(login(w.steward2).get(reverse("console:tasks")))


def test_merge_supervise_and_whistle_then_department_reports_in(w, login):
    parent = w.submit(title="路灯不亮")
    dup = w.submit(title="路灯坏了")
    c = login(w.dispatcher)
    assert (
        c.post(reverse("console:case_action", args=[dup.pk, "merge"]), {"into": parent.tracking_code}).status_code
        == 302
    )
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into_id) == (t.MERGED, parent.pk)

    accepted = w.to_accepted()
    c.post(reverse("console:case_action", args=[accepted.pk, "supervise"]), {"reason": "今天必须处理"})
    notice = SupervisionNotice.objects.get(case=accepted)
    assert (notice.kind, notice.reason, notice.issued_by_id) == ("manual", "今天必须处理", w.dispatcher.pk)

    street_case = w.submit(title="违章搭建")
    services.triage(case=street_case, actor=w.dispatcher, category=w.category, level="street")
    s = login(w.street_staff)
    due = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = s.post(
        reverse("console:case_action", args=[street_case.pk, "whistle"]),
        {"departments": [w.department.pk], "task": "联合执法", "due": due},
    )
    assert response.status_code == 302
    watched = s.get(reverse("console:queue")).content.decode()
    assert w.department.name in watched

    d = login(w.dept_staff)
    page = d.get(reverse("console:department")).content.decode()
    assert street_case.tracking_code in page
    task = street_case.co_tasks.get()
    d.post(reverse("console:report_in", args=[task.pk]), {"report": "已拆除"})
    task.refresh_from_db()
    assert (task.status, task.report) == ("reported", "已拆除")
    assert (
        "department reported in"
        in login(w.street_staff).get(reverse("console:case", args=[street_case.pk])).content.decode()
    )


def test_resolve_is_not_offered_while_a_summoned_department_has_not_reported_in(w, login):
    case = w.submit(title="违章搭建")
    services.triage(case=case, actor=w.dispatcher, category=w.category, level="street")
    services.dispatch(case=case, actor=w.street_staff, user=w.street_staff)
    services.accept(case=case, actor=w.street_staff)
    services.whistle(case=case, actor=w.street_staff, departments=[w.department], task="联合执法")
    resolve_url = reverse("console:case_action", args=[case.pk, "resolve"])
    s = login(w.street_staff)
    assert resolve_url not in s.get(reverse("console:case", args=[case.pk])).content.decode()
    events = case.events.count()
    assert s.post(resolve_url, {"result": "已拆除"}).status_code == 403
    case.refresh_from_db()
    assert (case.status, case.open_co_tasks, case.events.count()) == (t.ACCEPTED, 1, events)

    services.report_in(task=case.co_tasks.get(), actor=w.dept_staff, report="已配合拆除")
    assert resolve_url in s.get(reverse("console:case", args=[case.pk])).content.decode()
    assert s.post(resolve_url, {"result": "已拆除"}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.open_co_tasks) == (t.RESOLVED, 0)


# ------------------------------------------------------------------------------------------------ command centre


def test_command_list_filters_and_keyset_pages(w, login):
    base = timezone.now() - timedelta(days=3)
    cases = [w.submit(title=f"问题{i:02d}", at=base + timedelta(minutes=i)) for i in range(55)]
    hot = w.submit(title="热线来电：噪音扰民", channel="hotline", at=base + timedelta(hours=2))
    services.triage(case=cases[0], actor=w.dispatcher, category=w.category)
    c = login(w.centre)
    first = c.get(reverse("console:cases"))
    codes = _codes(first)
    assert len(codes) == selectors.PAGE_SIZE
    assert codes[0] == hot.tracking_code  # newest first
    assert 'id="case-count">56</span>' in first.content.decode()
    import re

    cursor = re.search(r'after=([\w-]+)" id="next-page"', first.content.decode()).group(1)
    second = _codes(c.get(reverse("console:cases") + f"?after={cursor}"))
    assert len(second) == 56 - selectors.PAGE_SIZE
    assert not set(codes) & set(second)
    assert second[-1] == cases[0].tracking_code

    assert _codes(c.get(reverse("console:cases"), {"channel": "hotline"})) == [hot.tracking_code]
    assert _codes(c.get(reverse("console:cases"), {"status": "triaged"})) == [cases[0].tracking_code]
    assert _codes(c.get(reverse("console:cases"), {"q": "噪音"})) == [hot.tracking_code]
    assert _codes(c.get(reverse("console:cases"), {"q": cases[5].tracking_code})) == [cases[5].tracking_code]
    assert _codes(c.get(reverse("console:cases"), {"category": w.category.pk})) == [cases[0].tracking_code]
    assert len(_codes(c.get(reverse("console:cases"), {"node": w.other_community.pk}))) == 0
    assert _codes(c.get(reverse("console:cases"), {"level": "district"})) == []
    today = timezone.localdate()
    assert _codes(c.get(reverse("console:cases"), {"date_from": today.isoformat()})) == []
    # Garbage in the filters is ignored; a page link that was tampered with is a 400 that says so (never a 500).
    assert c.get(reverse("console:cases"), {"status": "nonsense"}).status_code == 200
    assert c.get(reverse("console:cases"), {"status": "nonsense", "after": "%%%"}).status_code == 400
    # The other community's dispatcher sees none of them.
    assert _codes(login(w.other_dispatcher).get(reverse("console:cases"))) == []


def test_capped_count():
    rows = Case.objects.none()
    assert selectors.capped_count(rows) == (0, False)


def test_export_of_the_filtered_list(w, login):
    hot = w.submit(title="热线来电：噪音扰民", channel="hotline", external_id="12345-1")
    w.submit(title="别的")
    response = login(w.centre).get(reverse("console:cases_export"), {"channel": "hotline"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "Tracking code"
    assert [r[0] for r in rows[1:]] == [hot.tracking_code]
    assert rows[1][1] == "热线来电：噪音扰民" and rows[1][-1] == "12345-1"


def test_bulk_supervise_only_where_allowed(w, login):
    a = w.to_accepted()
    b = w.to_resolved()  # resolved cases cannot be supervised
    c = login(w.dispatcher)
    response = c.post(
        reverse("console:cases_bulk"), {"action": "supervise", "reason": "集中督办", "case": [a.pk, b.pk]}, follow=True
    )
    assert response.status_code == 200
    assert SupervisionNotice.objects.filter(case=a, reason="集中督办").count() == 1
    assert SupervisionNotice.objects.filter(case=b).count() == 0
    assert b.tracking_code in response.content.decode()
    # Out of scope ids are silently not found.
    login(w.other_dispatcher).post(
        reverse("console:cases_bulk"), {"action": "supervise", "reason": "x", "case": [a.pk]}
    )
    assert SupervisionNotice.objects.filter(case=a).count() == 1


def test_a_case_in_a_private_category_is_never_published(w, login):
    from gongzhi.cases.tests.factories import category

    private = category(w.jurisdiction, "social.dispute", private=True)
    case = w.submit(title="邻里纠纷：楼上漏水不肯修")
    services.triage(case=case, actor=w.dispatcher, category=private)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    services.accept(case=case, actor=w.steward)
    services.resolve(case=case, actor=w.steward, result="已调解")
    case.refresh_from_db()
    events = case.event_count
    c = login(w.dispatcher)
    # Not offered on the case page, refused as an action, and listed as not possible in bulk.
    page = c.get(reverse("console:case", args=[case.pk])).content.decode()
    assert reverse("console:case_action", args=[case.pk, "publish"]) not in page
    ordinary = w.to_resolved()
    page = c.get(reverse("console:case", args=[ordinary.pk])).content.decode()
    assert reverse("console:case_action", args=[ordinary.pk, "publish"]) in page
    response = c.post(reverse("console:case_action", args=[case.pk, "publish"]), {"summary": "已调解"})
    assert response.status_code == 409 and "private category" in response.content.decode()
    response = c.post(reverse("console:cases_bulk"), {"action": "publish", "case": [case.pk]})
    row = response.content.decode().split(f'data-code="{case.tracking_code}"')[1].split("</tr>")[0]
    assert "not possible" in row and "private category" in row
    with pytest.raises(t.TransitionError, match="private category"):
        services.publish(case=case, actor=w.dispatcher)
    case.refresh_from_db()
    assert (case.public, case.published_at, case.event_count) == (False, None, events)
    # One published before the category was made private is no longer on the public board.
    Case.objects.filter(pk=case.pk).update(public=True)
    board = c.get(reverse("portal:board", args=[w.community.pk])).content.decode()
    assert "已调解" not in board and "楼上漏水" not in board


def test_map_geojson_has_located_cases(w, login):
    w.building.lat, w.building.lon = 30.01, 120.01
    w.building.save()
    case = w.submit(title="有位置的")
    data = login(w.centre).get(reverse("console:cases_geojson")).json()
    assert [f["properties"]["code"] for f in data["features"]] == [case.tracking_code]
    assert data["features"][0]["geometry"]["coordinates"] == [120.01, 30.01]


def test_daily_clearance(w, login):
    case = w.to_accepted()
    Case.objects.filter(pk=case.pk).update(resolve_due=timezone.now() - timedelta(minutes=5))
    page = login(w.dispatcher).get(reverse("console:clearance"), {"node": w.community.pk})
    assert case.tracking_code in page.content.decode()
    assert login(w.other_dispatcher).get(reverse("console:clearance"), {"node": w.community.pk}).status_code == 404


# ------------------------------------------------------------------------------------------------------- inbox


def test_inbox_badge_and_mark_read(w, login):
    case = w.submit()
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    unread = Notification.objects.filter(recipient=w.steward, read_at__isnull=True).count()
    assert unread >= 1
    c = login(w.steward)
    html = c.get(reverse("console:inbox")).content.decode()
    assert f'<span class="visually-hidden">unread </span>{unread}</span>' in html
    note = Notification.objects.filter(recipient=w.steward).first()
    response = c.post(reverse("console:inbox_read"), {"id": note.pk, "next": note.url or "/console/inbox/"})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    # Someone else's notification cannot be marked.
    other = Notification.objects.filter(recipient=w.steward2).first()
    if other is not None:
        login(w.steward).post(reverse("console:inbox_read"), {"id": other.pk})
        other.refresh_from_db()
        assert other.read_at is None
    assert CaseEvent.objects.filter(case=case).count() == 3


# ------------------------------------------------------------------------------------- triage and dispatch (梳理, 交办)


_suggest = suggest


@pytest.fixture
def lamp(w):
    from gongzhi.cases.tests.factories import category

    return category(w.jurisdiction, "road.lamp", level="street", name="路灯不亮")


def _options(html: str, name: str) -> list[tuple[str, str, str]]:
    """(optgroup label, value, text) of each option of the select ``name``."""
    import re

    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    found, group = [], ""
    for tag in re.finditer(r'<optgroup label="([^"]*)">|<option value="([^"]*)"[^>]*>([^<]*)</option>', select):
        if tag.group(1) is not None:
            group = tag.group(1)
        else:
            found.append((group, tag.group(2), tag.group(3)))
    return found


def test_triage_form_is_prefilled_from_the_suggestion_and_names_the_desk_of_each_level(w, login, lamp):
    case = w.submit(title="小区门口路灯坏了")
    _suggest(case, top=[("road.lamp", 0.74), ("env.litter", 0.2)], level=["community", 0.6])
    c = login(w.dispatcher)
    html = c.get(reverse("console:case", args=[case.pk])).content.decode()
    assert f'<option value="{lamp.pk}" selected data-level="street">路灯不亮</option>' in html
    assert 'aria-describedby="id_category_helptext"' in html and 'id="id_category_helptext"' in html
    assert "Pre-filled from the triage suggestion: 路灯不亮, 74% confident." in html
    assert _options(html, "category")[0] == ("", "", "— choose a category —")
    # Each level names the desk that owns the case after triage; the suggested level is chosen.
    levels = _options(html, "level")
    assert [(v, text) for _g, v, text in levels] == [
        ("micro_grid", f"micro-grid — stays at this desk ({w.community.name})"),
        ("grid", f"grid — stays at this desk ({w.community.name})"),
        ("community", f"community — stays at this desk ({w.community.name})"),
        ("street", f"street — goes to the dispatch desk of {w.street.name}"),
        ("district", f"district — goes to the dispatch desk of {w.district.name}"),
    ]
    assert '<option value="community" selected>' in html
    # In Chinese: no English left in the empty option.
    zh = c.get(reverse("console:case", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "— 请选择类别 —" in zh and "Select an option" not in zh and "置信度 74%" in zh


def test_a_case_triaged_to_another_desk_says_where_it_went_and_the_page_says_why_there_is_nothing_to_do(w, login, lamp):
    case = w.submit(title="小区门口路灯坏了")
    c = login(w.dispatcher)
    response = c.post(
        reverse("console:case_action", args=[case.pk, "triage"]), {"category": lamp.pk, "level": "street"}
    )
    assert (response.status_code, response["Location"]) == (302, reverse("console:queue"))
    case.refresh_from_db()
    assert (case.status, case.owner_node_id, case.level) == (t.TRIAGED, w.street.pk, "street")
    queue = c.get(response["Location"]).content.decode()
    assert (
        f"Triage is done: case {case.tracking_code} has gone to the dispatch desk of {w.street.name}, which "
        f'dispatches it. <a href="{reverse("console:case", args=[case.pk])}">Follow the case</a>'
    ) in queue
    page = c.get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'id="actions"' not in page
    assert f"It waits at the dispatch desk of {w.street.name} for triage and dispatch." in page
    zh = c.get(reverse("console:case", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"它正在 {w.street.name} 的派单台等待梳理和交办。" in zh


def test_a_case_triaged_at_this_desk_opens_the_dispatch_form_with_grouped_targets(w, login):
    from gongzhi.grid.tests.factories import DepartmentFactory

    near = DepartmentFactory(
        jurisdiction=w.jurisdiction, name="城关城管中队", kind="city_management", service_area=w.street
    )
    far_street = w.district.children.exclude(pk=w.street.pk).get()
    far = DepartmentFactory(
        jurisdiction=w.jurisdiction, name="别处城管中队", kind="city_management", service_area=far_street
    )
    case = w.submit()
    _suggest(case, top=[("env.litter", 0.9)], unit=["city_management", 0.8])
    c = login(w.dispatcher)
    response = c.post(reverse("console:case_action", args=[case.pk, "triage"]), {"category": w.category.pk})
    assert response["Location"] == reverse("console:case", args=[case.pk]) + "?open=dispatch#action-dispatch"
    html = c.get(response["Location"]).content.decode()
    assert f"Triage is done: case {case.tracking_code} stays at your desk; dispatch it now." in html
    assert '<details class="action action-dispatch" id="action-dispatch" open>' in html
    targets = _options(html, "target")
    groups = list(dict.fromkeys(g for g, _v, _t in targets[1:]))
    assert targets[0] == ("", "", "— choose where to send it —")
    assert groups == [
        "Stewards&#x27; pool of a micro-grid (first to accept takes it)",
        "A person",
        "A unit: micro-grid",
        "A unit: grid",
        "A unit: community",
        "A department suggested by triage (city management)",
        "A department",
    ]
    by_group = {g: [text for gg, _v, text in targets if gg == g] for g in groups}
    # Nearest first: the case's own micro-grid heads the pools; its grid heads the grids.
    assert by_group[groups[0]][0] == f"{w.micro.name} (stewards&#x27; pool)"
    assert by_group["A unit: grid"][0] == w.grid.name
    assert by_group["A department suggested by triage (city management)"] == [near.name]
    assert w.department.name in by_group["A department"]
    assert far.name not in html  # serves another street
    assert 'data-filter="targets"' in html and 'src="/static/js/console-case.js"' in html
    response = c.post(reverse("console:case_action", args=[case.pk, "dispatch"]), {"target": f"dept:{near.pk}"})
    case.refresh_from_db()
    assert (case.status, case.handler_department_id) == (t.DISPATCHED, near.pk)


def test_success_messages_say_which_step_was_done_not_that_the_case_is(w, login):
    case = w.to_accepted()
    c = login(w.dispatcher)
    response = c.post(
        reverse("console:case_action", args=[case.pk, "supervise"]), {"reason": "今天必须处理"}, follow=True
    )
    html = response.content.decode()
    assert f"Supervision notice (督办) issued on case {case.tracking_code}; the handler and the desk are told." in html
    case.refresh_from_db()
    assert case.status == t.ACCEPTED
    response = c.post(
        reverse("console:case_action", args=[case.pk, "supervise"]),
        {"reason": "再次督办"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    zh = response.content.decode()
    assert f"已对工单 {case.tracking_code} 发出督办通知" in zh
    assert "已完成" not in zh.split('<ul class="messages"')[1].split("</ul>")[0]


def test_ratings_show_their_round_in_words(w, login):
    case = w.to_resolved()
    services.rate(case=case, actor=None, score="unsatisfied", solved=False, verified_reporter=True)
    case.refresh_from_db()
    services.accept(case=case, actor=w.steward)
    services.resolve(case=case, actor=w.steward, result="重新清理")
    services.rate(case=case, actor=None, score="satisfied", solved=True, verified_reporter=True)
    page = login(w.dispatcher).get(reverse("console:case", args=[case.pk])).content.decode()
    assert "first rating" in page and "after rework 1" in page and "round 0" not in page
