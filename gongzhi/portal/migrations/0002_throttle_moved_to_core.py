"""The rate-limit counters moved to core (core.throttle): Open311 and the exchange API count unknown ids with the
portal's lookups, and they cannot import the portal. The counters are not copied: they live for minutes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0001_initial'),
        ('core', '0003_throttle'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='throttle',
            name='portal_throttle_window',
        ),
        migrations.RemoveConstraint(
            model_name='throttle',
            name='portal_throttle_window_unique',
        ),
        migrations.DeleteModel(
            name='Throttle',
        ),
    ]
