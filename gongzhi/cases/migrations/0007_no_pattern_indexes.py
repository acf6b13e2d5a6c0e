"""PostgreSQL: no ``varchar_pattern_ops`` copies of the hot path's text indexes.

Django gives every indexed or unique ``CharField`` a second index on PostgreSQL for ``LIKE 'prefix%'`` lookups.
Nothing looks up a tracking code or a phone's blind index by prefix (only by equality, which the first index serves),
yet each copy is written on every new row and, on PostgreSQL, on every update of the row that changes an indexed
column — every step of a case. SQLite has no such copies. Django drops indexes with ``DROP INDEX IF EXISTS``, so a
later migration of these fields is unaffected.
"""

from django.db import migrations

PATTERN_INDEXES = {
    "cases_case": ("tracking_code", "reporter_phone_index"),
    "notifications_smsmessage": ("phone_index",),
}


def _like_indexes(schema_editor) -> list[str]:
    names = []
    with schema_editor.connection.cursor() as cursor:
        for table, columns in PATTERN_INDEXES.items():
            found = schema_editor.connection.introspection.get_constraints(cursor, table)
            for name, info in found.items():
                if name.endswith("_like") and info["index"] and info["columns"] in ([c] for c in columns):
                    names.append(name)
    return names


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in _like_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, app in (("case", "cases"), ("smsmessage", "notifications")):
        model = apps.get_model(app, model_name)
        for column in PATTERN_INDEXES[model._meta.db_table]:
            field = model._meta.get_field(column)
            schema_editor.execute(schema_editor._create_like_index_sql(model, field))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_lean_indexes"),
        ("notifications", "0002_sms_queued_index"),
    ]

    operations = [migrations.RunPython(drop_pattern_indexes, create_pattern_indexes)]
