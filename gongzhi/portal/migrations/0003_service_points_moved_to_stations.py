# Service points are stations now (stations.Station; stations/0002 copied the rows).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0002_throttle_moved_to_core'),
        ('stations', '0002_from_service_points'),
    ]

    operations = [
        migrations.DeleteModel(
            name='ServicePoint',
        ),
    ]
