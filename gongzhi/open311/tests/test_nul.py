"""NUL characters (PostgreSQL can neither store nor compare them) anywhere a client sends text: 400, nothing written.
And a database too busy to answer: 503, not a server error."""

import pytest

from gongzhi.cases.models import Case, CaseEvent
from gongzhi.open311.tests.test_conformance import BASE, errors_of, post, s  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "fields",
    [
        {"description": "楼上\x00装修"},
        {"service_code": "noise.night\x00"},
        {"api_key": "key\x00"},
        {"address_id": "token\x00"},
        {"address_id": None, "address_string": "幸福路\x001号"},
        {"attribute[periods][]": ["night\x00"]},
        {"first_name": "张\x00"},
        {"email": "a\x00@example.com"},
        {"jurisdiction_id": "x\x00"},
        {"media_url": "https://example.com/\x00.jpg"},
    ],
)
def test_nul_in_a_post_is_400(client, s, fmt, fields):  # noqa: F811
    before = (Case.objects.count(), CaseEvent.objects.count())
    response = post(client, fmt, s, **fields)
    assert response.status_code in (400, 403, 404), response.content
    assert any("NUL" in e["description"] for e in errors_of(response, fmt)), errors_of(response, fmt)
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "url",
    [
        "requests/AB%00CD.{fmt}",
        "requests.{fmt}?service_request_id=AB%00CD",
        "requests.{fmt}?service_code=noise%00",
        "requests.{fmt}?jurisdiction_id=x%00",
        "services/noise%00.{fmt}",
        "tokens/x%00.{fmt}",
        "request_updates.{fmt}?service_request_id=AB%00CD",
    ],
)
def test_nul_in_a_read_is_400(client, s, fmt, url):  # noqa: F811
    response = client.get(BASE + url.format(fmt=fmt))
    assert response.status_code == 400, response.content
    assert any("NUL" in e["description"] for e in errors_of(response, fmt))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_database_too_busy_to_answer_is_a_503_error_list(client, monkeypatch, fmt):
    from django.db import OperationalError

    from gongzhi.open311 import views

    def locked(*args, **kwargs):
        raise OperationalError("database is locked: another connection kept the write turn for 20 s")

    monkeypatch.setattr(views, "_jurisdiction", locked)

    response = client.get(f"/open311/v2/services.{fmt}")

    assert response.status_code == 503 and response["Retry-After"] == "5"
    busy = "the service is busy; try again in 5 seconds"
    assert [e["description"] for e in errors_of(response, fmt)] == [busy]
