"""An id from an address or a form: a forged, overlong or foreign-digit id finds nothing, as an unknown one does —
never an overflow in the database (a 500)."""

from __future__ import annotations

import pytest
from django.test import Client

from gongzhi.core.errors import NotFound
from gongzhi.core.http import known_id


@pytest.mark.parametrize("value", [7, "7", "000123"])
def test_an_id_is_read(value: object) -> None:
    assert known_id(value, "none") == int(str(value))


@pytest.mark.parametrize("value", ["", "abc", "-1", "1.5", "²", "9" * 19, "9" * 5000, None, 1.0, [1]])
def test_anything_else_is_not_found(value: object) -> None:
    with pytest.raises(NotFound):
        known_id(value, "none")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/r/topics/99999999999999999999/", "/r/meetings/99999999999999999999/", "/r/activities/99999999999999999999/"],
)
def test_an_overlong_id_in_a_resident_address_is_a_404(path: str) -> None:
    assert Client().get(path).status_code == 404
