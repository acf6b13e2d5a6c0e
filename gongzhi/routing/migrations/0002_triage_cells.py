"""The map cell of every triage record (routing.similarity.cell_of), and the index the duplicate finder reads."""

from django.db import migrations, models


def fill_cells(apps, schema_editor):
    """Records made before: their cell from their coordinates (the same formula as similarity.cell_of, copied
    here so this migration keeps working whatever that module becomes)."""
    import math

    triage = apps.get_model("routing", "CaseTriage")
    db = schema_editor.connection.alias
    rows = triage.objects.using(db).filter(lat__isnull=False, lon__isnull=False, cell__isnull=True)
    batch = []
    for row in rows.only("pk", "lat", "lon").iterator(chunk_size=2000):
        row.cell = math.floor((row.lat + 90.0) / 0.005) * 100_000 + math.floor((row.lon + 180.0) / 0.005)
        batch.append(row)
        if len(batch) == 2000:
            triage.objects.using(db).bulk_update(batch, ["cell"])
            batch = []
    if batch:
        triage.objects.using(db).bulk_update(batch, ["cell"])


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="casetriage",
            name="cell",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="map cell"),
        ),
        migrations.RunPython(fill_cells, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="casetriage",
            index=models.Index(fields=["jurisdiction_id", "cell", "submitted_at"], name="case_triage_nearby"),
        ),
    ]
