# The rate-limit counters moved to core (core.Throttle, core.throttle) so the staff login shares them. They only
# matter within their window (an hour at most), so they are not copied: the old table is dropped.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_throttle'),
        ('portal', '0001_initial'),
    ]

    operations = [
        migrations.DeleteModel(
            name='Throttle',
        ),
    ]
