"""NUL characters in an address are refused before any view or query runs (PostgreSQL cannot compare them)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/r/t/AB%00CD/", "/r/b/tok%00en/", "/r/?next=%00", "/console/cases/?q=%00"])
def test_a_nul_in_the_address_is_a_400_with_a_message(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_the_exchange_apis_answer_in_their_own_formats(client):
    assert client.get("/api/v1/cases/AB%00CD").status_code == 401  # the API's own checks run (no token here)
    response = client.get("/open311/v2/requests/AB%00CD.json")
    assert response.status_code == 400 and "NUL" in response.json()[0]["description"]


def test_ordinary_addresses_pass(client):
    assert client.get("/r/t/NOSUCHCODE/").status_code in (200, 404)
