"""The console's permission matrix: every page and every case action, role × (own scope, other scope, anonymous).

Pages: 200 for the roles whose workbench it is, 403 for signed-in staff it is not for, 302 to the login page for
anonymous visitors. Cases: 404 out of scope (the same as a missing case). Actions: 302 and the exact new state for
the roles the policy allows; 403 in scope but not allowed, 404 out of scope, 302 to login when anonymous — and on
every denial the case, its events, notices and co-handling tasks are exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent, CoHandlingTask, SupervisionNotice
from gongzhi.cases.tests.factories import World, world

pytestmark = pytest.mark.django_db

ACTORS = (
    "steward",
    "steward2",
    "grid_worker",
    "dispatcher",
    "other_dispatcher",
    "street_staff",
    "centre",
    "dept_staff",
    "resident",
    "anonymous",
)


@pytest.fixture
def w() -> World:
    return world()


def _client(client, w: World, actor: str):
    if actor != "anonymous":
        client.force_login(getattr(w, actor))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# ----------------------------------------------------------------------------------------------------------- pages

PAGES = (
    "tasks",
    "queue",
    "department",
    "cases",
    "cases_map",
    "cases_geojson",
    "cases_export",
    "clearance",
    "record",
    "inbox",
    "imports",
    "areas",
    "stations",
    "station_circle",
    *("lists", "lists_needs", "lists_resources", "lists_projects"),
    *("lists_need_new", "lists_resource_new", "lists_project_new"),
)
CASE_LISTS = {"cases", "cases_map", "cases_geojson", "cases_export"}
# The lists (一台账三清单): stewards and grid workers read their community's; community staff and above keep them.
LISTS_READ = {"lists", "lists_needs", "lists_resources", "lists_projects"}
LISTS_KEEP = {"lists_need_new", "lists_resource_new", "lists_project_new"}
# Who gets each page (200); every other signed-in person gets 403, anonymous a redirect to the login page.
ALLOWED_PAGES: dict[str, set[str]] = {
    # Stewards and grid workers take and handle cases; no desk (nothing is owned below a community), no imports.
    # … but keep the desks of the stations in their area (驿站).
    "steward": {"tasks", *CASE_LISTS, "clearance", "record", "inbox", "areas", "stations", *LISTS_READ},
    "grid_worker": {"tasks", *CASE_LISTS, "clearance", "record", "inbox", "areas", "stations", *LISTS_READ},
    "dispatcher": set(PAGES) - {"department"},
    "other_dispatcher": set(PAGES) - {"department"},
    "street_staff": set(PAGES) - {"department"},
    # The command centre reads figures; it keeps no station's desk and sets none up.
    "centre": set(PAGES) - {"department", "tasks", "stations"},
    # A department reads its own cases (DESIGN.md §6); 日清日结 is a grid area's report.
    "dept_staff": {"department", *CASE_LISTS, "inbox", "areas"},
    "resident": {"inbox"},
}


@pytest.mark.parametrize("actor", [a for a in ACTORS if a != "steward2"])
def test_page_matrix(client, w, actor):
    c = _client(client, w, actor)
    for page in PAGES:
        url = reverse(f"console:{page}")
        response = c.get(url, follow=actor != "anonymous")  # the grid browser opens the viewer's one area
        if actor == "anonymous":
            assert response.status_code == 302, page
            assert response["Location"].startswith(reverse("accounts:login")), page
        elif page in ALLOWED_PAGES[actor]:
            assert response.status_code == 200, (actor, page, response.status_code)
        else:
            assert response.status_code == 403, (actor, page, response.status_code)


def test_case_page_scope_matrix(client, w):
    case = w.to_resolved()
    expected = {
        "steward": 200,  # handled it
        "steward2": 200,  # the micro-grid is in their scope
        "grid_worker": 200,
        "dispatcher": 200,
        "other_dispatcher": 404,
        "street_staff": 200,
        "centre": 200,
        "dept_staff": 404,  # not dispatched to the department, which was not summoned either
        "resident": 404,
        "anonymous": 302,
    }
    for actor, status in expected.items():
        client.logout()
        c = _client(client, w, actor)
        for url in (reverse("console:case", args=[case.pk]), reverse("console:case_photo", args=[case.pk, 0])):
            response = c.get(url)
            wanted = 404 if url.endswith("/photos/0/") and status == 200 else status  # the case has no photo
            assert response.status_code == wanted, (actor, url, response.status_code)
    client.logout()
    c = _client(client, w, "dispatcher")
    assert c.get(reverse("console:case", args=[999_999])).status_code == 404


# --------------------------------------------------------------------------------------------------------- actions


def _snapshot(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    return (
        case.status,
        case.event_count,
        case.handler_user_id,
        case.handler_node_id,
        case.handler_department_id,
        case.owner_node_id,
        case.level,
        case.pooled,
        case.public,
        case.updated_at,
        CaseEvent.objects.filter(case=case).count(),
        SupervisionNotice.objects.filter(case=case).count(),
        CoHandlingTask.objects.filter(case=case).count(),
    )


def _submitted(w: World) -> tuple[Case, dict[str, Any]]:
    return w.submit(), {"category": w.category.pk, "note": "ok"}


def _triaged(w: World, **kw: Any) -> Case:
    case = w.submit(**kw)
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    return case


def _pooled(w: World) -> Case:
    case = _triaged(w)
    return services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)


def _street_level(w: World, **kw: Any) -> Case:
    case = w.submit(**kw)
    return services.triage(case=case, actor=w.dispatcher, category=w.category, level="street")


Setup = Callable[[World], tuple[Case, dict[str, Any]]]
SCENARIOS: dict[str, tuple[Setup, str, set[str]]] = {
    # action: (setup -> (case, form data), status after success, actors allowed)
    "triage": (_submitted, t.TRIAGED, {"dispatcher", "street_staff", "centre"}),
    "reject": (
        lambda w: (w.submit(), {"reason": "不属于受理范围"}),
        t.REJECTED,
        {"dispatcher", "street_staff", "centre"},
    ),
    "dispatch": (
        lambda w: (_triaged(w), {"target": f"pool:{w.micro.pk}", "note": ""}),
        t.DISPATCHED,
        {"dispatcher", "street_staff", "centre"},
    ),
    "accept": (lambda w: (_pooled(w), {}), t.ACCEPTED, {"steward", "steward2"}),
    "resolve": (lambda w: (w.to_accepted(), {"result": "已处理"}), t.RESOLVED, {"steward"}),
    "hold": (lambda w: (w.to_accepted(), {"reason": "等配件"}), t.ON_HOLD, {"steward"}),
    "return": (lambda w: (w.to_accepted(), {"reason": "不归我管"}), t.TRIAGED, {"steward"}),
    "escalate": (lambda w: (w.to_accepted(), {"reason": "需要社区协调"}), t.TRIAGED, {"steward"}),
    "supervise": (
        lambda w: (w.to_accepted(), {"reason": "请尽快处理"}),
        t.ACCEPTED,
        {"dispatcher", "street_staff", "centre"},
    ),
    "whistle": (
        lambda w: (_street_level(w), {"departments": [w.department.pk], "task": "协同清理"}),
        t.TRIAGED,
        {"street_staff", "centre"},
    ),
    "publish": (
        lambda w: (w.to_resolved(), {"summary": "楼道杂物已清理"}),
        t.RESOLVED,
        {"dispatcher", "street_staff", "centre"},
    ),
    "rework": (
        lambda w: (w.to_resolved(), {"reason": "没有清理干净"}),
        t.DISPATCHED,
        {"dispatcher", "street_staff", "centre"},
    ),
    "close": (lambda w: (w.to_resolved(), {"reason": ""}), t.CLOSED, {"dispatcher", "street_staff", "centre"}),
}
# Who cannot even see these cases (all located in the first community's first micro-grid, none dispatched to a
# department or summoning one — except whistle's, which is before the summons).
OUT_OF_SCOPE = {"other_dispatcher", "resident", "dept_staff"}


@pytest.mark.parametrize("action", list(SCENARIOS))
@pytest.mark.parametrize("actor", ACTORS)
def test_action_matrix(client, w, action, actor):
    setup, after, allowed = SCENARIOS[action]
    case, data = setup(w)
    before = _snapshot(case)
    c = _client(client, w, actor)
    url = reverse("console:case_action", args=[case.pk, action])
    response = c.post(url, data)
    if actor in allowed:
        assert response.status_code == 302, (action, actor, response.status_code)
        # Back on the case page (after triage, with the dispatch form open: the desk still owns it).
        assert response["Location"].split("?")[0] == reverse("console:case", args=[case.pk])
        case.refresh_from_db()
        assert case.status == after
        assert case.event_count > before[1]
        return
    if actor == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    elif actor in OUT_OF_SCOPE:
        assert response.status_code == 404, (action, actor, response.status_code)
    else:
        assert response.status_code == 403, (action, actor, response.status_code)
    assert _snapshot(case) == before, (action, actor)


def test_get_on_an_action_changes_nothing(client, w):
    case = _pooled(w)
    before = _snapshot(case)
    c = _client(client, w, "steward")
    assert c.get(reverse("console:case_action", args=[case.pk, "accept"])).status_code == 405
    assert c.post(reverse("console:case_action", args=[case.pk, "fly"])).status_code == 404
    assert _snapshot(case) == before


def test_report_in_matrix(client, w):
    case = _street_level(w)
    services.whistle(case=case, actor=w.street_staff, departments=[w.department], task="协同清理")
    task = CoHandlingTask.objects.get(case=case)
    url = reverse("console:report_in", args=[task.pk])
    for actor in ("steward", "dispatcher", "street_staff", "centre", "resident"):
        client.logout()
        assert _client(client, w, actor).post(url, {"report": "已到场"}).status_code == 404, actor
    task.refresh_from_db()
    assert task.status == "summoned"
    client.logout()
    response = _client(client, w, "anonymous").post(url, {"report": "已到场"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    client.logout()
    response = _client(client, w, "dept_staff").post(url, {"report": "已到场清理"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.report, task.reported_by_id) == ("reported", "已到场清理", w.dept_staff.pk)
    assert CaseEvent.objects.filter(case=case, kind="reported_in").count() == 1


# ----------------------------------------------------------------------------------------------------- departments
# DESIGN.md §6: a department post's scope is its department's assigned work. Department staff read the cases their
# department handles or handled (dispatched to it) and those it was summoned to (吹哨报到), open or closed — and no
# other case of the district, in any read path (page, photo, list, map, export, clearance).


def _with_photo(case: Case, settings, tmp_path) -> Case:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save(f"cases/{case.pk}/p.jpg", ContentFile(b"\xff\xd8\xff\xd9"))
    Case.objects.filter(pk=case.pk).update(photos=[name], lat=30.01, lon=120.01)
    case.refresh_from_db()
    return case


def _dispatched_to_department(w: World) -> Case:
    return services.dispatch(case=_triaged(w), actor=w.dispatcher, department=w.department)


def _summoned(w: World, **kw: Any) -> Case:
    case = _street_level(w, **kw)
    services.whistle(case=case, actor=w.street_staff, departments=[w.department], task="协同清理")
    return case


def _read_paths(c, case: Case) -> dict[str, Any]:
    """What a viewer gets for ``case`` on every console read path."""
    import io

    from openpyxl import load_workbook

    listed = c.get(reverse("console:cases")).content.decode()
    located = c.get(reverse("console:cases_geojson"))
    exported = c.get(reverse("console:cases_export"))
    rows = []
    if exported.status_code == 200:
        book = load_workbook(io.BytesIO(b"".join(exported.streaming_content)))
        rows = [r[0] for r in book.active.iter_rows(values_only=True)]
    return {
        "page": c.get(reverse("console:case", args=[case.pk])).status_code,
        "photo": c.get(reverse("console:case_photo", args=[case.pk, 0])).status_code,
        "listed": case.tracking_code in listed,
        "mapped": located.status_code == 200
        and case.tracking_code in [f["properties"]["code"] for f in located.json()["features"]],
        "exported": case.tracking_code in rows,
    }


SEES_ALL = {"page": 200, "photo": 200, "listed": True, "mapped": True, "exported": True}
SEES_NONE = {"page": 404, "photo": 404, "listed": False, "mapped": False, "exported": False}


def test_a_department_reads_the_cases_it_handles_open_and_closed(client, w, settings, tmp_path):
    case = _with_photo(_dispatched_to_department(w), settings, tmp_path)
    c = _client(client, w, "dept_staff")
    assert _read_paths(c, case) == SEES_ALL
    case = services.accept(case=case, actor=w.dept_staff)
    case = services.resolve(case=case, actor=w.dept_staff, result="已清理")
    case = services.close(case=case, actor=w.dispatcher)
    assert case.status == t.CLOSED
    assert _read_paths(c, case) == SEES_ALL


def test_a_department_keeps_reading_a_case_it_handled_after_it_went_back(client, w, settings, tmp_path):
    case = _with_photo(_dispatched_to_department(w), settings, tmp_path)
    services.return_case(case=case, actor=w.dept_staff, reason="不属于本部门职责")
    case.refresh_from_db()
    assert (case.status, case.handler_department_id) == (t.TRIAGED, None)
    assert _read_paths(_client(client, w, "dept_staff"), case) == SEES_ALL


def test_a_department_reads_the_cases_it_was_summoned_to_open_and_closed(client, w, settings, tmp_path):
    case = _with_photo(_summoned(w), settings, tmp_path)
    c = _client(client, w, "dept_staff")
    assert _read_paths(c, case) == SEES_ALL
    services.report_in(task=case.co_tasks.get(), actor=w.dept_staff, report="已到场")
    case = services.dispatch(case=case, actor=w.street_staff, node=w.micro, pool=True)
    case = services.accept(case=case, actor=w.steward)
    case = services.resolve(case=case, actor=w.steward, result="已清理")
    case = services.close(case=case, actor=w.street_staff)
    assert case.status == t.CLOSED
    assert _read_paths(c, case) == SEES_ALL


def test_a_department_reads_no_other_case_of_the_district(client, w, settings, tmp_path):
    from gongzhi.grid import roles
    from gongzhi.grid.tests.factories import DepartmentFactory, post

    others = [
        _with_photo(w.to_resolved(), settings, tmp_path),  # a steward's case in the department's (whole) area
        _with_photo(w.submit(title="家庭纠纷调解"), settings, tmp_path),
    ]
    other_department = DepartmentFactory(jurisdiction=w.jurisdiction, name="区住建局")
    post(roles.DEPARTMENT_STAFF, department=other_department)
    theirs = services.dispatch(case=_triaged(w), actor=w.dispatcher, department=other_department)
    others.append(_with_photo(theirs, settings, tmp_path))
    mine = _with_photo(_dispatched_to_department(w), settings, tmp_path)
    c = _client(client, w, "dept_staff")
    for case in others:
        before = _snapshot(case)
        assert _read_paths(c, case) == SEES_NONE, case.title
        for action in ("accept", "resolve", "return", "escalate", "supervise"):
            response = c.post(reverse("console:case_action", args=[case.pk, action]), {"reason": "x", "result": "x"})
            assert response.status_code == 404, (case.title, action)
        assert _snapshot(case) == before
    assert _read_paths(c, mine) == SEES_ALL
    # The department's list holds its own case and nothing else.
    listed = c.get(reverse("console:cases")).content.decode()
    assert [code for code in (x.tracking_code for x in Case.objects.all()) if code in listed] == [mine.tracking_code]
    # 日清日结 is a grid unit's report over its area: not a department's page.
    assert c.get(reverse("console:clearance")).status_code == 403
    assert c.get(reverse("console:clearance"), {"node": w.community.pk}).status_code == 403


# ------------------------------------------------------------------------------------------------------ navigation
# Each role lands on its own workbench, and the navigation offers exactly the pages the role may open: every link
# shown answers 200 (after the grid map's and the command centre's redirects), every workbench not shown 403 or 404.

LANDING = {
    "steward": "console:tasks",
    "grid_worker": "console:tasks",
    "dispatcher": "console:queue",
    "street_staff": "console:queue",
    "centre": "analytics:home",
    "leader": "analytics:home",
    "admin_post": "analytics:home",
    "superuser": "analytics:home",
    "dept_staff": "console:department",
}
NAV = {
    # Stewards keep the door of meetings and a vote's desk (deliberation.desk); grid workers also publish notices.
    "steward": [
        *("tasks", "record", "cases", "clearance", "stations", "market", "care", "topics", "lists", "areas", "inbox"),
    ],
    "grid_worker": [
        *("tasks", "record", "cases", "clearance", "stations", "market", "care", "topics", "notices", "lists"),
        *("areas", "inbox"),
    ],
    "dispatcher": [
        "queue",
        "tasks",
        "analytics",
        "record",
        "cases",
        "clearance",
        "stations",
        "market",
        "care",
        "topics",
        "notices",
        "people",
        "lists",
        "imports",
        "areas",
        "inbox",
    ],
    "street_staff": [
        "queue",
        "tasks",
        "analytics",
        "record",
        "cases",
        "clearance",
        "stations",
        "market",
        "care",
        "topics",
        "notices",
        "people",
        "lists",
        "imports",
        "areas",
        "inbox",
    ],
    # The command centre and administrators set leaders' contact points (contact.manage); a leader reads their own.
    "centre": ["analytics", "queue", "record", "cases", "clearance", "contacts", "lists", "imports", "areas", "inbox"],
    "leader": ["analytics", "cases", "clearance", "contacts", "lists", "areas", "inbox"],
    # Administrators set stations up (station.manage) but keep no desk; they plan markets and keep their stalls; they
    # review the care registry's access log but open no record.
    "admin_post": [
        "analytics",
        "queue",
        "cases",
        "clearance",
        "stations",
        "market",
        "care_log",
        "contacts",
        "lists",
        "imports",
        "areas",
        "inbox",
    ],
    "superuser": [
        "analytics",
        "queue",
        "cases",
        "clearance",
        "stations",
        "market",
        "care",
        "care_log",
        "topics",
        "notices",
        "people",
        "contacts",
        "lists",
        "imports",
        "areas",
        "inbox",
    ],
    "dept_staff": ["department", "cases", "areas", "inbox"],
}
# On a phone the row holds the first two and the inbox; the rest are behind "More".
PHONE_ROW = 2


def _nav_user(w: World, actor: str):
    from gongzhi.accounts.tests.factories import UserFactory
    from gongzhi.grid import roles
    from gongzhi.grid.tests.factories import post

    if actor == "leader":
        return post(roles.LEADER, node=w.district).user
    if actor == "admin_post":
        return post(roles.ADMIN, node=w.district).user
    if actor == "superuser":
        return UserFactory(is_superuser=True, is_staff=True)
    return getattr(w, actor)


def _nav(html: str) -> tuple[list[str], list[str], dict[str, str]]:
    """(links in the row, links behind More, href of each) of the page's navigation."""
    import re

    nav = re.search(r'<nav class="worknav".*?</nav>', html, re.S)
    assert nav, "no navigation"
    row_part, _sep, more_part = nav.group(0).partition('class="worknav-more"')
    found = re.findall(r'<li class="worknav-item( worknav-wide)?"><a href="([^"]+)"[^>]*data-nav="(\w+)"', row_part)
    hrefs = {key: href for _wide, href, key in found}
    phone_row = [key for wide, _href, key in found if not wide]
    more = re.findall(r'data-nav="(\w+)"', more_part)
    return [key for _w, _h, key in found], more, hrefs | {"_phone": ",".join(phone_row)}


@pytest.mark.parametrize("actor", list(LANDING))
def test_each_role_lands_on_its_workbench_and_sees_only_the_doors_it_may_open(client, w, actor):
    from gongzhi.console import navigation

    user = _nav_user(w, actor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    response = client.get(reverse("console:home"))
    assert (response.status_code, response["Location"]) == (302, reverse(LANDING[actor]))
    page = client.get(response["Location"], follow=True)
    assert page.status_code == 200
    shown, more, hrefs = _nav(page.content.decode())
    assert shown == NAV[actor]
    phone_row = hrefs.pop("_phone").split(",")
    assert phone_row == [*NAV[actor][:PHONE_ROW], "inbox"]
    assert more == [k for k in NAV[actor][PHONE_ROW:] if k != "inbox"]
    for key in shown:
        assert hrefs[key] == reverse(navigation.LINKS[key][0])
        assert client.get(hrefs[key], follow=True).status_code == 200, (actor, key)
    for key, (name, _label) in navigation.LINKS.items():
        if key not in shown:
            assert client.get(reverse(name)).status_code in (403, 404), (actor, key)
    # The link of the page one is on is marked.
    assert f'data-nav="{NAV[actor][0]}" aria-current="page"' in page.content.decode()


# ---------------------------------------------------------------------------------------------- reporter's phone
# The reporter's number is shown in full to the people working on the case (cases.policies.phone_reveal_basis), on
# demand (a POST), with a tel: link; each reveal writes exactly one access-log row, a refused one none.

PHONE = "13812345678"
REVEAL = {
    # actor: (status, basis) on a case a steward of the micro-grid accepted, owned by the first community's desk
    "steward": (200, "handler"),
    "steward2": (200, "handling_unit"),  # the same micro-grid: the handling unit
    "grid_worker": (200, "above"),  # above the handling micro-grid
    "dispatcher": (200, "owner_desk"),
    "street_staff": (200, "above"),
    "centre": (200, "above"),
    "leader": (403, None),  # sees the case, supervises, does not call residents
    "superuser": (403, None),  # sees everything, holds no post that calls residents
    "other_dispatcher": (404, None),  # another community: the case is out of sight
    "dept_staff": (404, None),  # the department has no part in the case
    "resident": (404, None),
    "anonymous": (302, None),
}


def _reveal_actor(client, w: World, actor: str):
    client.logout()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    if actor in ("leader", "superuser"):
        client.force_login(_nav_user(w, actor))
        return client
    return _client(client, w, actor)


def _reveals(case: Case) -> list[tuple[int, str, str]]:
    from gongzhi.cases.models import PhoneReveal

    return list(PhoneReveal.objects.filter(case=case).order_by("pk").values_list("actor_id", "basis", "purpose"))


@pytest.mark.parametrize("actor", list(REVEAL))
def test_reveal_matrix(client, w, actor):
    case = w.to_accepted(reporter_name="王五", reporter_phone=PHONE)
    before = _snapshot(case)
    c = _reveal_actor(client, w, actor)
    page = c.get(reverse("console:case", args=[case.pk]))
    if page.status_code == 200:  # the number is never on the page until asked for
        assert PHONE not in page.content.decode() and "138****5678" in page.content.decode()
        assert ('id="reveal-phone"' in page.content.decode()) == (REVEAL[actor][0] == 200)
    response = c.post(reverse("console:reveal_phone", args=[case.pk]), {"purpose": "约上门时间"})
    status, basis = REVEAL[actor]
    assert response.status_code == status, (actor, response.status_code)
    if status == 200:
        html = response.content.decode()
        assert f'href="tel:{PHONE}"' in html
        assert "no-store" in response["Cache-Control"]
        assert _reveals(case) == [(response.wsgi_request.user.pk, basis, "约上门时间")]
    else:
        assert PHONE not in response.content.decode()
        assert _reveals(case) == []
    assert _snapshot(case) == before  # a reveal changes nothing on the case and writes no event
    if actor == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))


def test_each_reveal_is_one_row_and_a_get_reveals_nothing(client, w):
    case = w.to_accepted(reporter_phone=PHONE)
    c = _client(client, w, "steward")
    url = reverse("console:reveal_phone", args=[case.pk])
    assert c.get(url).status_code == 405
    assert _reveals(case) == []
    for purpose in ("", "再次联系"):
        assert c.post(url, {"purpose": purpose}).status_code == 200
    assert [(b, p) for _a, b, p in _reveals(case)] == [("handler", ""), ("handler", "再次联系")]
    # A purpose too long is a 400 with the reason, and no row.
    response = c.post(url, {"purpose": "x" * 201})
    assert response.status_code == 400 and PHONE not in response.content.decode()
    assert len(_reveals(case)) == 2


def test_anonymous_reports_and_finished_cases_never_reveal(client, w):
    from gongzhi.cases.models import PhoneReveal

    anonymous = w.to_accepted(reporter_phone=PHONE, anonymous=True)
    no_phone = w.to_accepted()
    closed = services.close(case=w.to_resolved(reporter_phone=PHONE), actor=w.dispatcher)
    for actor in ("steward", "dispatcher", "centre"):
        c = _client(client, w, actor)
        for case in (anonymous, no_phone, closed):
            page = c.get(reverse("console:case", args=[case.pk])).content.decode()
            assert 'id="reveal-phone"' not in page and PHONE not in page
            assert c.post(reverse("console:reveal_phone", args=[case.pk])).status_code == 403, (actor, case.pk)
        client.logout()
    assert PhoneReveal.objects.count() == 0


def test_a_department_handling_a_case_may_call_but_a_summoned_one_may_not(client, w):
    handled = services.dispatch(case=_triaged(w, reporter_phone=PHONE), actor=w.dispatcher, department=w.department)
    summoned = _summoned(w, reporter_phone=PHONE)
    c = _client(client, w, "dept_staff")
    url = reverse("console:reveal_phone", args=[handled.pk])
    assert c.post(url).status_code == 200  # staff of the handling department, before anyone accepted it
    services.accept(case=handled, actor=w.dept_staff)
    assert c.post(url).status_code == 200  # now as the person handling it
    assert c.post(reverse("console:reveal_phone", args=[summoned.pk])).status_code == 403
    assert [b for _a, b, _p in _reveals(handled)] == ["handling_department", "handler"]
    assert _reveals(summoned) == []


def test_the_phone_is_not_in_the_lists(client, w):
    case = w.to_accepted(reporter_phone=PHONE)
    c = _client(client, w, "steward")
    for name in ("console:tasks", "console:cases"):
        assert PHONE not in c.get(reverse(name)).content.decode()
    assert PHONE not in c.get(reverse("console:cases_geojson")).content.decode()
    assert case.tracking_code in c.get(reverse("console:tasks")).content.decode()


# ---------------------------------------------------------------------------------------------------------- lists
# One need, resource and project of the dispatcher's community: read by everyone whose posts read its lists (404 for
# another community's staff, like a missing row), changed only by those who keep them (403, nothing changed).

LIST_PAGES = ("need", "need_edit", "resource_edit", "project", "project_edit")
LIST_EXPECTED = {
    "steward": {"need": 200, "project": 200, "need_edit": 403, "resource_edit": 403, "project_edit": 403},
    "grid_worker": {"need": 200, "project": 200, "need_edit": 403, "resource_edit": 403, "project_edit": 403},
    "dispatcher": dict.fromkeys(LIST_PAGES, 200),
    "other_dispatcher": dict.fromkeys(LIST_PAGES, 404),
    "street_staff": dict.fromkeys(LIST_PAGES, 200),
    "centre": dict.fromkeys(LIST_PAGES, 200),
    "dept_staff": dict.fromkeys(LIST_PAGES, 403),  # no post that reads lists
    "resident": dict.fromkeys(LIST_PAGES, 403),
}


def _list_rows(w: World) -> dict[str, Any]:
    from decimal import Decimal

    from gongzhi.lists import services as lists

    need = lists.create_need(
        actor=w.dispatcher, node=w.community, title="老人助餐", category="elderly", source="survey", households=9
    )
    resource = lists.save_resource(
        actor=w.dispatcher, node=w.community, name="幸福食堂", kind="merchant", contact_phone="13812345678"
    )
    project = lists.save_project(
        actor=w.dispatcher,
        node=w.community,
        needs=[need],
        name="老年助餐",
        category="elderly",
        provider=resource,
        delivery="station",
        price=Decimal("8"),
    )
    return {"need": need, "resource": resource, "project": project}


def _list_url(page: str, rows: dict[str, Any]) -> str:
    obj = rows[page.split("_")[0]]
    return reverse(f"console:lists_{page}", args=[obj.pk])


@pytest.mark.parametrize("actor", [*LIST_EXPECTED, "anonymous"])
def test_lists_object_matrix(client, w, actor):
    from gongzhi.lists.models import Need, NeedEvent

    rows = _list_rows(w)
    c = _client(client, w, actor)
    for page in LIST_PAGES:
        response = c.get(_list_url(page, rows))
        if actor == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
        else:
            assert response.status_code == LIST_EXPECTED[actor][page], (actor, page, response.status_code)
    # Closing the need: only those who keep the lists; a refusal changes nothing.
    need = rows["need"]
    before = (Need.objects.get(pk=need.pk).status, NeedEvent.objects.filter(need=need).count())
    response = c.post(reverse("console:lists_need_action", args=[need.pk, "close"]), {"note": "已解决"})
    after = (Need.objects.get(pk=need.pk).status, NeedEvent.objects.filter(need=need).count())
    if actor in ("dispatcher", "street_staff", "centre"):
        assert response.status_code == 302
        assert after == ("closed", before[1] + 1)
    else:
        expected = {"anonymous": 302, "other_dispatcher": 404}.get(actor, 403)
        assert response.status_code == expected, (actor, response.status_code)
        assert after == before == ("matched", 2)


@pytest.mark.parametrize(
    ("actor", "status", "made"),
    [
        ("dispatcher", 302, True),
        ("street_staff", 302, True),
        ("steward", 403, False),  # reads the case, does not keep the lists
        ("other_dispatcher", 404, False),
        ("dept_staff", 404, False),
        ("anonymous", 302, False),
    ],
)
def test_case_to_need_matrix(client, w, actor, status, made):
    from gongzhi.lists.models import Need

    case = w.to_resolved()
    c = _client(client, w, actor)
    response = c.post(reverse("console:case_to_need", args=[case.pk]))
    assert response.status_code == status, (actor, response.status_code)
    assert Need.objects.filter(case_id=case.pk).exists() is made


@pytest.mark.parametrize(
    ("actor", "export", "template", "handbook"),
    [
        ("steward", 200, 403, 200),
        ("grid_worker", 200, 403, 200),
        ("dispatcher", 200, 200, 200),
        ("other_dispatcher", 200, 200, 404),  # their export holds only their own community's rows
        ("street_staff", 200, 200, 200),
        ("centre", 200, 200, 200),
        ("dept_staff", 403, 403, 403),
        ("resident", 403, 403, 403),
        ("anonymous", 302, 302, 302),
    ],
)
def test_lists_files_matrix(client, w, actor, export, template, handbook):
    c = _client(client, w, actor)
    for kind in ("needs", "resources", "projects"):
        assert c.get(reverse("console:lists_export", args=[kind])).status_code == export, (actor, kind)
        assert c.get(reverse("console:lists_template", args=[kind])).status_code == template, (actor, kind)
    assert c.get(reverse("console:lists_handbook", args=[w.community.pk])).status_code == handbook, actor


# -------------------------------------------------------------------------------------------------------- stations

STATION_PAGES = ("console:station", "console:station_edit", "console:station_rota", "analytics:station_day")
# A steward point in the world's micro-grid: who gets each of its pages (200), who may not (403), who does not see it
# at all (404, the same as a missing station).
STATION_EXPECTED: dict[str, dict[str, int]] = {
    "steward": {
        "console:station": 200,
        "console:station_edit": 403,
        "console:station_rota": 403,
        "analytics:station_day": 200,
    },
    "steward2": {
        "console:station": 200,
        "console:station_edit": 403,
        "console:station_rota": 403,
        "analytics:station_day": 200,
    },
    "grid_worker": {
        "console:station": 200,
        "console:station_edit": 403,
        "console:station_rota": 403,
        "analytics:station_day": 200,
    },
    "dispatcher": dict.fromkeys(STATION_PAGES, 200),
    "street_staff": dict.fromkeys(STATION_PAGES, 200),
    "other_dispatcher": dict.fromkeys(STATION_PAGES, 404),
    "centre": dict.fromkeys(STATION_PAGES, 404),
    "dept_staff": dict.fromkeys(STATION_PAGES, 404),
    "resident": dict.fromkeys(STATION_PAGES, 404),
}


def test_station_page_matrix(client, w):
    from gongzhi.stations.tests.factories import station

    point = station(w.micro, "3号院小区管家服务点", kind="steward_point")
    for actor in ACTORS:
        client.logout()
        c = _client(client, w, actor)
        for page in STATION_PAGES:
            response = c.get(reverse(page, args=[point.pk]))
            if actor == "anonymous":
                assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
            else:
                assert response.status_code == STATION_EXPECTED[actor][page], (actor, page, response.status_code)
    client.logout()
    assert _client(client, w, "dispatcher").get(reverse("console:station", args=[999_999])).status_code == 404


def test_station_circle_area_matrix(client, w):
    # The 15-minute circle of the world's community: its staff, the street and the command centre see it; another
    # community's staff get 404 (as for a missing node); those who neither set up stations nor read figures get 403.
    expected = {
        "steward": 403,
        "steward2": 403,
        "grid_worker": 403,
        "dispatcher": 200,
        "other_dispatcher": 404,
        "street_staff": 200,
        "centre": 200,
        "dept_staff": 403,
        "resident": 403,
    }
    for actor in ACTORS:
        client.logout()
        response = _client(client, w, actor).get(reverse("console:station_circle"), {"node": w.community.pk})
        if actor == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
        else:
            assert response.status_code == expected[actor], (actor, response.status_code)
