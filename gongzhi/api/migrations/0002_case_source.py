"""Cases partners filed before ``Case.source`` existed get their partner's code, like the ones filed since."""

from django.db import migrations


def backfill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    InboundCase = apps.get_model("api", "InboundCase")
    rows = InboundCase.objects.select_related("partner").values_list("case_id", "partner__code")
    by_code: dict[str, list[int]] = {}
    for case_id, code in rows.iterator(chunk_size=2000):
        by_code.setdefault(code, []).append(case_id)
    for code, ids in by_code.items():
        for start in range(0, len(ids), 1000):
            Case.objects.filter(pk__in=ids[start : start + 1000], source="").update(source=code[:32])


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial"), ("cases", "0005_case_source")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
