"""Cases get a public id (what public lists name them by, instead of the tracking code) and a public summary (the
text of 公示, instead of the resident's title and the handler's result).

Existing cases get a random public id each; cases published before this migration get a summary made of their
category and their result with personal data masked (``core.privacy.mask_text``), which staff can see on the case.
"""

import secrets

from django.db import migrations, models

from gongzhi.core.privacy import mask_text

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
BATCH = 1000


def _new_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(12))


def fill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    alias = schema_editor.connection.alias
    rows = Case.objects.using(alias).order_by("pk")
    last = 0
    taken: set[str] = set()
    while True:
        batch = list(rows.filter(pk__gt=last).only("pk", "public", "result", "category")[:BATCH])
        if not batch:
            break
        for case in batch:
            case.public_id = _new_id()
            while case.public_id in taken:  # pragma: no cover - 32^12 ids
                case.public_id = _new_id()
            taken.add(case.public_id)
            if case.public:
                category = case.category.name if case.category_id else ""
                result = mask_text(" ".join(case.result.split()))[:300]
                case.public_summary = "：".join(part for part in (category, result) if part)
        Case.objects.using(alias).bulk_update(batch, ["public_id", "public_summary"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_no_pattern_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="public_id",
            field=models.CharField(default="", editable=False, max_length=16, verbose_name="public id"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="case",
            name="public_summary",
            field=models.TextField(blank=True, verbose_name="public summary"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
