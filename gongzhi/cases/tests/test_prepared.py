"""The prepared statements return exactly what the ORM returns, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world
from gongzhi.core import prepared
from gongzhi.grid.models import GridNode
from gongzhi.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.fixture
def case():
    w = world()
    return services.submit(
        jurisdiction=w.district.jurisdiction,
        channel="qr",
        title="楼道灯不亮",
        description="三楼",
        building=w.building,
        reporter_phone="13800138000",
        attributes={"floor": 3, "名字": "张"},
        photos=["a.jpg"],
    )


def test_get_matches_the_orm_field_by_field(case):
    orm = Case.objects.get(pk=case.pk)
    fast = prepared.get(Case, case.pk)
    assert _fields(fast) == _fields(orm)
    assert fast.reporter_phone == "13800138000"  # decrypted, as the ORM does
    assert fast.attributes == {"floor": 3, "名字": "张"} and fast.photos == ["a.jpg"]
    assert fast.submitted_at.tzinfo is not None
    assert fast._state.adding is False and fast._state.db == "default"


def test_get_for_update_only_and_missing(case):
    with transaction.atomic():
        locked = prepared.get(Case, case.pk, for_update=True)
    assert locked.tracking_code == case.tracking_code
    node = prepared.get(GridNode, case.owner_node_id, only=("name", "path", "level"))
    assert node.get_deferred_fields() >= {"boundary"}
    assert (node.name, node.path) == GridNode.objects.values_list("name", "path").get(pk=case.owner_node_id)
    assert prepared.get(Case, 987654321) is None


def test_update_writes_only_the_named_fields_and_stamps_auto_now_when_named(case):
    before = Case.objects.get(pk=case.pk)
    obj = prepared.get(Case, case.pk)
    obj.title, obj.description = "新标题", "should not be written"
    assert prepared.update(obj, ["title"]) == 1
    after = Case.objects.get(pk=case.pk)
    assert after.title == "新标题" and after.description == before.description
    assert after.updated_at == before.updated_at  # like save(update_fields=…): only the named fields
    assert prepared.update(obj, ["title", "updated_at"]) == 1
    assert Case.objects.get(pk=case.pk).updated_at > before.updated_at
    obj.pk = 987654321
    assert prepared.update(obj, ["title"]) == 0
    with pytest.raises(ValueError, match="cannot be updated"):
        prepared.update(obj, ["id"])


def test_insert_matches_the_orm(case):
    at = timezone.now() - timedelta(minutes=3)
    fast = prepared.insert(
        CaseEvent(case_id=case.pk, seq=99, kind="published", from_status="a", to_status="b", data={"k": [1]}, at=at)
    )
    assert fast.pk is not None and fast._state.adding is False
    row = CaseEvent.objects.get(pk=fast.pk)
    assert (row.seq, row.kind, row.data, row.at, row.public, row.note) == (99, "published", {"k": [1]}, at, True, "")
    sms = prepared.insert(SmsMessage(phone="13900139000", phone_index="x", kind="k", body="b"))
    stored = SmsMessage.objects.get(pk=sms.pk)
    assert stored.phone == "13900139000" and stored.status == "queued" and stored.created_at is not None
    raw = SmsMessage.objects.filter(pk=sms.pk).values_list("phone", flat=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM notifications_smsmessage WHERE id = %s", [sms.pk])
        assert "13900139000" not in cursor.fetchone()[0]  # encrypted at rest, like the ORM writes it
    assert list(raw)


def test_a_prepared_query_compiles_once_and_binds_each_call(case):
    query = prepared.Query(lambda pk: Case.objects.filter(pk=pk, status="submitted").values_list("pk", "title"))
    assert query(case.pk) == [(case.pk, "楼道灯不亮")]
    assert query(987654321) == []
    with CaptureQueriesContext(connection) as ctx:
        query(case.pk)
    assert len(ctx.captured_queries) == 1


def test_returning_rows_become_instances(case):
    sms = prepared.insert(SmsMessage(phone="13900139000", phone_index="x", kind="k", body="b"))
    columns = prepared.returning_columns(SmsMessage)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE notifications_smsmessage SET attempts = 7 WHERE id = %s RETURNING {columns}", [sms.pk])  # noqa: S608
        row = cursor.fetchone()
    back = prepared.from_returned(SmsMessage, row)
    assert back.attempts == 7 and back.phone == "13900139000" and back.created_at == sms.created_at


def test_recorded_and_signalled_as_with_the_orm(case):
    """Statements still show up where queries are recorded (assertNumQueries, DEBUG), and instances still reach
    post_init receivers when there are any."""
    from django.db.models.signals import post_init

    with CaptureQueriesContext(connection) as queries:
        prepared.get(Case, case.pk)
    assert len(queries) == 1 and str(case.pk) in queries[0]["sql"]
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Case)
    try:
        prepared.get(Case, case.pk)
    finally:
        post_init.disconnect(receiver, sender=Case)
    assert seen == [case.pk]


def test_database_errors_are_djangos(case):
    from django.db import IntegrityError

    event = CaseEvent.objects.filter(case=case).first()
    event.pk = None  # same (case, seq): the unique constraint refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        prepared.insert(event)
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_prepared_query_takes_strings_and_returns_dicts_like_values(case):
    read = prepared.Query(
        lambda code, pk: Case.objects.filter(tracking_code=code, pk__gte=pk).values("pk", "title", "submitted_at"),
        kinds=(str, int),
    )
    rows = read.dicts(case.tracking_code, case.pk)
    assert rows == list(Case.objects.filter(pk=case.pk).values("pk", "title", "submitted_at"))
    assert read.dicts("NOPE", case.pk) == [] and read(case.tracking_code, case.pk + 1) == []
