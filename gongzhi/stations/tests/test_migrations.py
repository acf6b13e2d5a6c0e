"""portal.ServicePoint rows become stations: items from the service lines, the hours text kept, staff on duty kept."""

from datetime import time

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gongzhi.stations.models import DutyShift, Station
from gongzhi.stations.tests.factories import area


@pytest.mark.django_db(transaction=True)
def test_service_points_move_to_stations():
    w = area()
    steward_post = w.steward.posts.get()
    executor = MigrationExecutor(connection)
    executor.migrate([("portal", "0002_throttle_moved_to_core"), ("stations", "0001_initial")])
    apps = executor.loader.project_state([("portal", "0002_throttle_moved_to_core")]).apps
    ServicePoint = apps.get_model("portal", "ServicePoint")
    a = ServicePoint.objects.create(
        node_id=w.community.pk,
        name="幸福社区党群服务驿站",
        tier=2,
        address="幸福路 20 号",
        hours="周一至周五 8:30–17:30",
        phone="028-1234-5678",
        services="代办社保\n\n  老年人助餐 \n代办社保",
        lat=30.1,
        lon=120.1,
    )
    a.on_duty.add(steward_post.pk)
    ServicePoint.objects.create(node_id=w.community.pk, name="幸福社区党群服务驿站", tier=3, lat=95.0, lon=1.0)
    ServicePoint.objects.create(node_id=w.micro.pk, name="3号院小区管家服务点", tier=3, active=False)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {s.name: s for s in Station.objects.all()}
    assert set(rows) == {"幸福社区党群服务驿站", "幸福社区党群服务驿站 (2)", "3号院小区管家服务点"}
    first = rows["幸福社区党群服务驿站"]
    assert (first.kind, first.tier, first.address, first.phone) == ("station", 2, "幸福路 20 号", "028-1234-5678")
    assert (first.lat, first.lon) == (30.1, 120.1)
    assert first.notes == "原营业时间：周一至周五 8:30–17:30" and first.hours.count() == 0
    assert sorted(i.name for i in first.items.all()) == ["代办社保", "老年人助餐"]
    shifts = DutyShift.objects.filter(station=first)
    assert sorted(s.weekday for s in shifts) == list(range(7))
    assert {(s.post_id, s.starts, s.ends) for s in shifts} == {(steward_post.pk, time(0, 0), time(23, 59))}
    second = rows["幸福社区党群服务驿站 (2)"]
    assert second.kind == "service_point" and second.lat is None and second.lon is None  # off the map: dropped
    third = rows["3号院小区管家服务点"]
    assert third.kind == "steward_point" and not third.active
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "portal_servicepoint" not in tables
