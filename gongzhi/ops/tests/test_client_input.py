"""Bad input from a client is a 4xx with a clear message, never a 500: the cases a tester found (nested JSON to
Open311, crafted list cursors, impossible days and months, any extension on the monthly report), and Hypothesis
fuzzing the query parameters of every list and page of the console, the command centre, the resident pages, Open311
and the admin (the exchange API has its schemathesis run, api/tests/test_schemathesis.py)."""

from __future__ import annotations

import base64
import json
import string

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world
from gongzhi.open311 import keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    data = world()
    data.submit()
    data.submit(title="第二件")
    return data


def cursor(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def bad_input(response, *phrases: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    page = response.content.decode()
    for phrase in phrases:
        assert phrase in page, page


# ------------------------------------------------------------------------------------------------- found by hand


def test_deeply_nested_json_to_open311_is_a_400_that_writes_nothing(client, w):
    _row, key = keys.create_key(name="city app", jurisdiction=None)
    before = (Case.objects.count(), CaseEvent.objects.count())
    for body in ("[" * 5000 + "]" * 5000, '{"api_key": "' + key + '", "x": ' + "[" * 5000 + "]" * 5000 + "}"):
        response = client.post("/open311/v2/requests.json", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()[0]["description"] in ("the JSON body is nested too deeply", "the body is not valid JSON")
    assert response.json() == [{"code": 400, "description": "the JSON body is nested too deeply"}]
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


CRAFTED = [
    ["2026-02-30T00:00:00+08:00", 1],  # a day that does not exist
    [None, None],  # a null id
    [None, "x"],
    ["2026-01-01T00:00:00", 1],  # no time zone
    ["2026-01-01T00:00:00+08:00", 10**30],  # an id no database column holds
    ["0001-01-01T00:00:00+14:00", 1],  # before the calendar begins, in UTC
    ["2026-01-01T00:00:00+08:00", True],
    ["2026-01-01T00:00:00+08:00", 0],
    [1, 2, 3],
    {"a": 1},
    "[[[[",
]


@pytest.mark.parametrize("values", CRAFTED, ids=str)
def test_crafted_list_cursors_are_a_400(client, w, values):
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    after = values if isinstance(values, str) else cursor(values)
    client.force_login(w.centre)
    bad_input(client.get(reverse("console:cases"), {"after": after}, **en), "This page link is not valid")
    client.force_login(w.dispatcher)
    bad_input(client.get(reverse("console:queue"), {"after": after}, **en), "This page link is not valid")


@pytest.mark.parametrize("value", ["null", "2026-02-30", "0", "-1", str(10**30), "1e3", "²", "%00"])
def test_crafted_cursors_to_the_exchange_api_are_a_4xx(client, w, value):
    from gongzhi.api.tests.factories import bearer, partner

    _partner, raw = partner(w.jurisdiction)
    response = client.get("/api/v1/cases", {"cursor": value}, **bearer(raw))
    assert response.status_code in (400, 422), (value, response.status_code)
    assert response.json()["detail"]


def test_a_cursor_the_server_wrote_still_pages(client, w):
    client.force_login(w.centre)
    for i in range(60):
        w.submit(title=f"诉求 {i}")
    first = client.get(reverse("console:cases"))
    after = first.context["next_cursor"]
    assert after
    second = client.get(reverse("console:cases"), {"after": after})
    assert second.status_code == 200 and len(second.context["rows"]) == 62 - 50


@pytest.mark.parametrize("day", ["2026-02-30", "9999-12-31", "0001-01-01", "2026-13-01", "x", "2026-2-3", "²⁰²⁶"])
def test_impossible_days_on_the_daily_clearance_are_a_400(client, w, day):
    client.force_login(w.dispatcher)
    response = client.get(reverse("console:clearance"), {"day": day}, HTTP_ACCEPT_LANGUAGE="en")
    bad_input(response, "The day must be a date between 2000-01-01 and 2099-12-31")
    assert client.get(reverse("console:clearance"), {"day": "2099-12-31"}).status_code == 200
    assert client.get(reverse("console:clearance"), {"day": "2000-01-01"}).status_code == 200


def test_the_400_page_is_in_chinese_by_default(client, w):
    client.force_login(w.dispatcher)
    response = client.get(reverse("console:clearance"), {"day": "2026-02-30"})
    bad_input(response, "日期须在 2000-01-01 到 2099-12-31 之间", 'lang="zh-hans"')


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12", "2100-01"])
def test_months_outside_the_calendar_are_a_400(client, w, month):
    client.force_login(w.centre)
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    node = w.district.pk
    response = client.get(f"/analytics/node/{node}/report/{month}.pdf", **en)
    assert response.status_code == 400 and "between 2000-01 and 2099-12" in response.content.decode()
    assert client.get(f"/analytics/node/{node}/panel/headline.json", {"month": month}, **en).status_code == 400
    assert client.get("/r/figures/", {"month": month}, **en).status_code == 400
    response = client.get(f"/analytics/node/{node}/", {"month": month}, **en)  # the page: this month, and says so
    assert response.status_code == 302 and "month" not in response["Location"]


@pytest.mark.parametrize("ending", ["exe", "html", "pdf.exe", "PDF", "xls", "svg", "json"])
def test_the_monthly_report_is_pdf_or_xlsx_only(client, w, ending):
    client.force_login(w.centre)
    assert client.get(f"/analytics/node/{w.district.pk}/report/2025-03.{ending}").status_code == 404


@pytest.mark.parametrize(("ending", "content_type"), [("pdf", "application/pdf"), ("xlsx", "spreadsheetml")])
def test_the_monthly_reports_file_name_is_built_by_the_server(client, w, ending, content_type):
    w.district.code = 'D"1\r\n/..\\区'  # a code an administrator typed, with everything a header must not carry
    w.district.save(update_fields=["code"])
    client.force_login(w.centre)
    response = client.get(f"/analytics/node/{w.district.pk}/report/2025-03.{ending}")
    assert response.status_code == 200 and content_type in response["Content-Type"]
    assert response["Content-Disposition"] == f'attachment; filename="gongzhi-D_1_______-2025-03.{ending}"'


def test_tampered_ids_in_lists_and_forms_are_ignored_not_a_500(client, w):
    client.force_login(w.dispatcher)
    for desk in ("²", "٣", "9" * 30, "-1"):
        assert client.get(reverse("console:queue"), {"desk": desk}).status_code == 200
    case = w.submit()
    before = case.events.count()
    response = client.post(
        reverse("console:cases_bulk"), {"action": "supervise", "reason": "x", "case": ["²", "9" * 30]}
    )
    # Nothing valid ticked: back to the list; an id that parses but is nobody's: the result page lists it as missing.
    assert response.status_code in (200, 302) and case.events.count() == before
    assert client.post(reverse("console:inbox_read"), {"id": ["²", "9" * 40]}).status_code == 302


def test_the_admins_calendar_year_filter_ignores_nonsense(client, w):
    w.centre.is_staff = w.centre.is_superuser = True
    w.centre.save()
    client.force_login(w.centre)
    for year in ("²⁰²⁵", "99999", "0000", "2025"):
        response = client.get(reverse("admin:core_calendarday_changelist"), {"year": year})
        assert response.status_code in (200, 302), year


# ------------------------------------------------------------------------------------------------------- fuzzing

NAMES = [
    "after", "day", "node", "desk", "status", "sla_state", "level", "channel", "category", "department", "date_from",
    "date_to", "open_only", "q", "month", "by", "screen", "page", "page_size", "start_date", "end_date",
    "service_code", "service_request_id", "lat", "long", "jurisdiction_id", "unread", "j", "year", "o", "p", "e",
    "api_key", "all", "kind", "format", "next", "_changelist_filters",
]  # fmt: skip
TRICKY = [
    "", "0", "-1", "²", "٣", "9" * 30, "1e309", "nan", "inf", "-inf", "2026-02-30", "9999-12-31", "0001-01-01",
    "9999-12", "0000-00", "2025-3", "2026-02-30T25:61:00+99:00", "%", "%00", "\\", "'", '"', "<script>", "null",
    "true", "[]", "{}", "\u202e", "１２３", cursor([None, None]), cursor(["2026-02-30T00:00:00+08:00", 1]),
    cursor(["2026-01-01T00:00:00+08:00", 10**30]),
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(TRICKY),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet=string.printable + "中文²٣１\u3000", max_size=24),
)
QUERIES = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(NAMES), st.text(string.ascii_letters + "_[]", min_size=1, max_size=12)), VALUES
    ),
    max_size=6,
)


def _pages(w) -> dict[str, tuple[object, list[str]]]:
    node, case = w.district.pk, Case.objects.first().pk
    return {
        "centre": (
            w.centre,
            [
                reverse("console:home"),
                reverse("console:grid_node", args=[node]),
                reverse("console:grid_node_geojson", args=[node]),
                reverse("console:cases"),
                reverse("console:cases_map"),
                reverse("console:cases_geojson"),
                reverse("console:cases_export"),
                reverse("console:case", args=[case]),
                reverse("console:clearance"),
                reverse("console:inbox"),
                reverse("console:imports"),
                f"/analytics/node/{node}/",
                *(f"/analytics/node/{node}/panel/{name}.json" for name in ("headline", "trend", "rankings", "hot")),
            ],
        ),
        "dispatcher": (w.dispatcher, [reverse("console:queue"), reverse("console:record"), reverse("console:tasks")]),
        "department": (w.dept_staff, [reverse("console:department")]),
        "anonymous": (
            None,
            [
                reverse("portal:home"),
                reverse("portal:board_index"),
                reverse("portal:board", args=[w.community.pk]),
                reverse("portal:points_index"),
                reverse("portal:track_lookup"),
                reverse("portal:report"),
                reverse("portal:login"),
                "/r/figures/",
                "/open311/v2/services.json",
                "/open311/v2/requests.json",
                "/open311/v2/requests.xml",
                "/open311/v2/request_updates.json",
            ],
        ),
    }


@pytest.mark.slow
def test_no_query_string_makes_a_server_error(client, w):
    """Every page above with up to six parameters — their own names and random ones — holding dates that do not
    exist, numbers no column holds, Unicode digits, crafted cursors, markup. Any exception fails the test (the test
    client raises it), and Hypothesis shrinks it to the smallest query."""
    pages = _pages(w)
    statuses: set[int] = set()

    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(query=QUERIES)
    def run(query):
        for user, urls in pages.values():
            if user is None:
                client.logout()
            else:
                client.force_login(user)
            for url in urls:
                response = client.get(url, query_params=query)
                statuses.add(response.status_code)
                assert response.status_code < 500, (url, query)

    run()
    assert {200, 400} <= statuses


@pytest.mark.slow
def test_no_query_string_makes_the_admin_fail(client, w):
    w.centre.is_staff = w.centre.is_superuser = True
    w.centre.save()
    client.force_login(w.centre)
    urls = [
        reverse("admin:cases_case_changelist"),
        reverse("admin:cases_casecategory_changelist"),
        reverse("admin:core_calendarday_changelist"),
        reverse("admin:accounts_user_changelist"),
    ]

    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(query=QUERIES)
    def run(query):
        for url in urls:
            assert client.get(url, query_params=query).status_code < 500, (url, query)

    run()


def test_the_selector_refuses_a_bad_cursor_without_the_view(w):
    """The selector itself refuses, so any later view that pages a list gets the same answer."""
    from gongzhi.console import selectors

    rows = Case.objects.all()
    with pytest.raises(selectors.InvalidCursor):
        selectors.keyset_page(rows, key="submitted_at", descending=True, cursor=cursor([None, None]))
    page, _next = selectors.keyset_page(rows, key="submitted_at", descending=True, cursor="")
    assert len(page) == 2
