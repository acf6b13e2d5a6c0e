"""The public id of every case is filled (0008): from now on each new case gets one, and no two share one. (A
migration of its own, so that on PostgreSQL the index is built in a transaction that did not also update the rows.)"""

from django.db import migrations, models

import gongzhi.cases.models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_public_id_and_summary"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="public_id",
            field=models.CharField(
                default=gongzhi.cases.models.new_public_id, editable=False, max_length=16, verbose_name="public id"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("public", True)),
                fields=["jurisdiction", "resolved_at", "id"],
                name="case_public_board",
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(fields=("public_id",), name="case_public_id_unique"),
        ),
    ]
