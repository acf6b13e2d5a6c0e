"""Migrations that fill data: existing cases get a public id each, and published ones a masked summary."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gongzhi.cases import services
from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import world


@pytest.mark.django_db(transaction=True)
def test_existing_cases_get_distinct_public_ids_and_published_ones_a_masked_summary():
    w = world()
    plain = w.submit()
    resolved = w.to_resolved()
    published = w.to_accepted()
    services.resolve(case=published, actor=w.steward, result="已联系王五，电话 138 1234 5678，清理完毕")
    services.publish(case=published, actor=w.dispatcher, summary="x")

    executor = MigrationExecutor(connection)
    executor.migrate([("cases", "0007_no_pattern_indexes")])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET public = %s WHERE id = %s", [True, published.pk])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # through 0009_public_id_unique to the latest

    rows = {c.pk: c for c in Case.objects.all()}
    ids = [c.public_id for c in rows.values()]
    assert len(ids) == 3 and len(set(ids)) == 3 and all(len(i) == 12 for i in ids)
    assert rows[plain.pk].public_summary == rows[resolved.pk].public_summary == ""
    summary = rows[published.pk].public_summary
    assert summary.startswith(w.category.name + "：")
    assert "138****5678" in summary and "1234 5678" not in summary
    # New cases still get their own.
    assert w.submit().public_id not in ids
