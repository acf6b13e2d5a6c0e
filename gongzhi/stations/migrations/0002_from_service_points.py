# portal.ServicePoint (free text: hours, services one per line, staff on duty without times) becomes stations.Station.
# Its service lines become catalogue items (matched by name, else new items), its hours text is kept in the notes
# (opening hours are structured now and are set in the console), and the staff it listed as on duty stay on duty at
# every hour of every day, as the old page showed them, until the rota is set. portal's next migration drops the table.

import hashlib
from datetime import time

from django.db import migrations

LEGACY_HOURS = "原营业时间："


def _kind(point):
    if point.tier in (1, 2):
        return "station"
    return "steward_point" if "管家" in point.name else "service_point"


def forward(apps, schema_editor):
    ServicePoint = apps.get_model("portal", "ServicePoint")
    Station = apps.get_model("stations", "Station")
    ServiceItem = apps.get_model("stations", "ServiceItem")
    DutyShift = apps.get_model("stations", "DutyShift")
    items = {item.name: item for item in ServiceItem.objects.all()}
    taken = set(Station.objects.values_list("node_id", "name"))
    for point in ServicePoint.objects.order_by("pk"):
        name = point.name[:100]
        n = 2
        while (point.node_id, name) in taken:
            name = f"{point.name[:94]} ({n})"
            n += 1
        taken.add((point.node_id, name))
        valid = (
            point.lat is not None
            and point.lon is not None
            and -90 <= point.lat <= 90
            and -180 <= point.lon <= 180
        )
        station = Station.objects.create(
            node_id=point.node_id,
            name=name,
            kind=_kind(point),
            tier=point.tier if point.tier in (1, 2, 3) else 3,
            address=point.address,
            phone=point.phone,
            lat=point.lat if valid else None,
            lon=point.lon if valid else None,
            notes=(LEGACY_HOURS + point.hours)[:200] if point.hours.strip() else "",
            active=point.active,
        )
        chosen = []
        for line in point.services.splitlines():
            label = line.strip()[:64]
            if not label:
                continue
            item = items.get(label)
            if item is None:
                code = "item-" + hashlib.sha256(label.encode()).hexdigest()[:12]
                item = ServiceItem.objects.create(code=code, name=label, sort_order=900)
                items[label] = item
            chosen.append(item)
        station.items.set(chosen)
        for post in point.on_duty.all():
            DutyShift.objects.bulk_create(
                DutyShift(station=station, post=post, weekday=day, starts=time(0, 0), ends=time(23, 59))
                for day in range(7)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0001_initial"),
        ("portal", "0002_throttle_moved_to_core"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
