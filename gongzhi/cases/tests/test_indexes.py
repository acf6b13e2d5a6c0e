"""The cases tables carry the indexes their lookups need and no more: each one is written inside the write
transaction on every new case and every change of its columns (on SQLite, inside the one write turn of the site)."""

from __future__ import annotations

import pytest
from django.db import connection

from gongzhi.cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db

# Case's foreign keys whose lookups (a deletion's check included) must not scan the table.
CASE_KEYS = (
    "jurisdiction",
    "category",
    "reporter",
    "recorded_by",
    "building",
    "grid_node",
    "owner_node",
    "handler_node",
    "handler_department",
    "handler_user",
    "merged_into",
)


def _indexes(model: type) -> dict[str, list[str]]:
    """Name → columns of the model's indexes and unique constraints (the primary key left out)."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        name: list(info["columns"])
        for name, info in found.items()
        if (info["index"] or info["unique"]) and not info["primary_key"] and info["columns"]
    }


@pytest.mark.parametrize("model", [Case, CaseEvent])
def test_no_index_is_the_first_column_of_another(model: type) -> None:
    indexes = _indexes(model)
    single = {name: columns[0] for name, columns in indexes.items() if len(columns) == 1}
    longer = {name: columns for name, columns in indexes.items() if len(columns) > 1}
    redundant = [
        (name, other)
        for name, column in single.items()
        for other, columns in longer.items()
        if columns[0] == column and not _partial(model, other)
    ]
    assert redundant == []


@pytest.mark.parametrize("field", CASE_KEYS)
def test_every_case_key_leads_an_index(field: str) -> None:
    column = Case._meta.get_field(field).column
    assert any(columns[0] == column for columns in _indexes(Case).values()), column


def test_the_event_timeline_is_found_by_case() -> None:
    assert ["case_id", "seq"] in _indexes(CaseEvent).values()


def _partial(model: type, name: str) -> bool:
    return any(index.name == name and index.condition is not None for index in model._meta.indexes)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans (EXPLAIN QUERY PLAN)")
@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ({"handler_user_id": 5, "status": "accepted"}, "case_handler_user_status"),
        ({"handler_node_id": 5, "status": "dispatched"}, "case_handler_node_status"),
        ({"handler_department_id": 5}, "case_handler_dept_status"),
        ({"reporter_id": 5}, "case_reporter"),
        ({"recorded_by_id": 5}, "case_recorded_by"),
        ({"merged_into_id": 5}, "case_merged_into"),
    ],
)
def test_a_lookup_by_value_uses_the_partial_index(lookup: dict[str, object], index: str) -> None:
    """A partial index ("… IS NOT NULL") serves an equality lookup: the value implies the condition."""
    plan = Case.objects.filter(**lookup).order_by().explain()
    assert f"USING INDEX {index}" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pattern (varchar_pattern_ops) indexes")
def test_no_pattern_copies_of_the_hot_path_text_indexes() -> None:
    """Django adds a LIKE-prefix copy of every indexed text column on PostgreSQL; the tracking code and the phones'
    blind indexes are only ever looked up by equality, so their copies (written on every case step) are dropped."""
    from gongzhi.notifications.models import SmsMessage

    cases, messages = _indexes(Case), _indexes(SmsMessage)
    assert [name for name in [*cases, *messages] if name.endswith("_like")] == []
    # The equality indexes stay.
    assert ["tracking_code"] in cases.values()
    assert ["reporter_phone_index"] in cases.values()
    assert ["phone_index"] in messages.values()
