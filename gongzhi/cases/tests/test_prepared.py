"""The prepared statements return exactly what the ORM returns, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseEvent, new_public_id
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


def test_a_prepared_query_takes_instants_and_matches_the_orm_at_the_edges(case):
    """A window of instants bound as the ORM binds them: the edges to the microsecond, on either side of midnight
    in the display zone, on both databases (SQLite keeps them as text in UTC)."""
    from datetime import datetime

    window = prepared.Query(
        lambda start, end, pk: Case.objects.filter(submitted_at__gte=start, submitted_at__lte=end, pk=pk).values_list(
            "pk", flat=True
        ),
        kinds=(datetime, datetime, int),
    )
    at = case.submitted_at
    tick = timedelta(microseconds=1)
    for start, end, expected in [
        (at, at, [case.pk]),
        (at - timedelta(days=1), at + timedelta(days=1), [case.pk]),
        (at + tick, at + timedelta(days=1), []),
        (at - timedelta(days=1), at - tick, []),
    ]:
        orm = list(
            Case.objects.filter(submitted_at__gte=start, submitted_at__lte=end, pk=case.pk).values_list("pk", flat=True)
        )
        assert orm == expected
        assert [row[0] for row in window(start, end, case.pk)] == expected
    # The same instant in another zone is the same instant.
    shanghai = timezone.localtime(at, timezone.get_fixed_timezone(480))
    assert [row[0] for row in window(shanghai, shanghai, case.pk)] == [case.pk]


def test_insert_values_writes_the_row_the_orm_would(case):
    at = timezone.now() - timedelta(minutes=5)
    pk = prepared.insert_values(CaseEvent, case_id=case.pk, seq=77, kind="published", to_status="b", at=at)
    row = CaseEvent.objects.get(pk=pk)
    # Defaults for what was not given: data {} (a callable default), public True, empty texts, no actor.
    assert (row.case_id, row.seq, row.kind, row.at) == (case.pk, 77, "published", at)
    assert (row.data, row.public, row.note, row.from_status, row.actor_id) == ({}, True, "", "", None)
    sms_pk = prepared.insert_values(SmsMessage, phone="13900139000", phone_index="x", kind="k", body="b")
    sms = SmsMessage.objects.get(pk=sms_pk)
    assert sms.phone == "13900139000" and sms.status == "queued" and sms.created_at is not None
    with pytest.raises(TypeError, match="no field case"):
        prepared.insert_values(CaseEvent, case=case, seq=78, kind="published", at=at)  # attribute names only
    assert not CaseEvent.objects.filter(seq=78).exists()


def test_value_shortcuts_give_what_the_fields_give(case):
    """Every field of the hot models, with the values they hold and the awkward ones (naive and foreign-zone
    datetimes, booleans in integer fields, strings in JSON fields): the shortcut's parameter is Django's."""
    import warnings
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.core.exceptions import ValidationError
    from django.db.models import JSONField

    event = CaseEvent.objects.filter(case=case).first()
    sms = prepared.insert(SmsMessage(phone="13900139000", phone_index="x", kind="k", body="b"))
    shanghai = datetime(2026, 10, 1, 8, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    naive = datetime(2026, 10, 1, 8, 30)  # noqa: DTZ001 - on purpose
    extra = [None, True, 0, 7, "7", 1.5, "文本", shanghai, naive, {"a": [1, "二"]}, [1], "x"]
    checked = 0
    for obj in (case, event, sms):
        for field in type(obj)._meta.concrete_fields:
            if field.primary_key:
                continue
            fast = prepared._preparer(field, connection)
            for value in [getattr(obj, field.attname), *extra]:
                try:
                    with warnings.catch_warnings():  # a naive datetime: Django warns, both sides convert it
                        warnings.simplefilter("ignore", RuntimeWarning)
                        expected = field.get_db_prep_save(value, connection=connection)
                        got = fast(value)
                        if isinstance(field, JSONField) and expected is not None and type(expected) is not str:
                            expected, got = expected.dumps(expected.obj), got.dumps(got.obj)  # psycopg's Jsonb
                except (TypeError, ValueError, ValidationError):
                    continue  # not a value this field takes at all
                if getattr(field, "blind_index_field", None) or "Encrypted" in type(field).__name__:
                    continue  # encrypted fields always go through the field (ciphertexts differ each time)
                assert got == expected and type(got) is type(expected), (field, value)
                checked += 1
    assert checked > 200


def test_datetimes_read_back_as_the_orm_reads_them(case):
    from zoneinfo import ZoneInfo

    moment = timezone.now().replace(microsecond=0).astimezone(ZoneInfo("Asia/Shanghai"))
    Case.objects.filter(pk=case.pk).update(triaged_at=moment, accepted_at=moment.replace(microsecond=5))
    orm = Case.objects.get(pk=case.pk)
    fast = prepared.get(Case, case.pk)
    assert (
        (fast.triaged_at, fast.accepted_at)
        == (orm.triaged_at, orm.accepted_at)
        == (moment, moment.replace(microsecond=5))
    )
    assert fast.triaged_at.utcoffset() == orm.triaged_at.utcoffset()


def test_statements_survive_a_closed_connection(case):
    """The sqlite3 cursor kept for the statements belongs to one connection; a new connection gets a new one (the
    PostgreSQL test below closes its connection)."""
    import sqlite3

    if connection.vendor != "sqlite":
        pytest.skip("closing the connection inside a test's transaction breaks it; see the PostgreSQL test below")
    assert prepared.get(Case, case.pk) is not None
    # Closing the in-memory test database would drop it: leave a cursor of another connection behind instead (used,
    # it would fail with "no such table").
    connection.__dict__["_prepared_cursor"] = sqlite3.connect(":memory:").cursor()
    assert prepared.get(Case, case.pk).tracking_code == case.tracking_code


def _server_prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prepare", [True, False])
def test_postgresql_runs_the_statements_prepared_once_per_connection_unless_turned_off(case, settings, prepare):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's; SQLite compiles each statement once in its own cache")
    settings.GONGZHI_DB_PREPARE = prepare
    read = prepared.Query(lambda code: Case.objects.filter(tracking_code=code).values_list("pk", "title"), kinds=(str,))
    assert prepared.get(Case, case.pk) is not None
    connection.close()  # a new connection, with a new kept cursor and nothing prepared yet
    assert not [s for s in _server_prepared() if "cases_case" in s]
    for _ in range(3):
        assert prepared.get(Case, case.pk).tracking_code == case.tracking_code
        assert read(case.tracking_code) == [(case.pk, case.title)]
        assert read("NOPE") == []
    on_case = [s for s in _server_prepared() if "cases_case" in s]
    # One statement each for the primary-key read and the query, prepared once and reused with other values.
    assert len(on_case) == (2 if prepare else 0), on_case
    if prepare:
        copy = prepared.get(Case, case.pk)
        copy.pk, copy._state.adding = None, True
        with pytest.raises(IntegrityError), transaction.atomic():  # errors are Django's, as from its own cursors
            prepared.insert(copy)  # the same tracking code
        assert read(case.tracking_code) == [(case.pk, case.title)]  # the connection goes on


def test_insert_unless_taken_skips_a_row_whose_unique_value_is_taken(case):
    copy = prepared.get(Case, case.pk)
    copy.pk, copy._state.adding = None, True
    before = Case.objects.count()
    assert prepared.insert_unless_taken(copy) is None  # the same tracking code
    assert copy.pk is None and Case.objects.count() == before
    copy.tracking_code = "Z" + case.tracking_code[1:]
    assert prepared.insert_unless_taken(copy) is None  # the same public id
    copy.public_id = new_public_id()
    assert prepared.insert_unless_taken(copy) is copy and copy.pk is not None
    assert Case.objects.get(pk=copy.pk).tracking_code == copy.tracking_code
    # In the same transaction the work goes on (no error was raised, so nothing is aborted on PostgreSQL).
    with transaction.atomic():
        copy.pk, copy.tracking_code, copy.public_id = None, "Y" + case.tracking_code[1:], new_public_id()
        assert prepared.insert_unless_taken(copy) is not None
        assert Case.objects.filter(tracking_code__startswith="Y").count() == 1


@pytest.mark.django_db
def test_a_submission_writes_the_case_once_with_its_first_event_counted():
    w = world()
    with CaptureQueriesContext(connection) as ctx:
        case = w.submit(title="楼道灯不亮")
    on_case = [
        q["sql"].split(" ", 1)[0]
        for q in ctx.captured_queries
        if re.match(r'(INSERT INTO|UPDATE) "cases_case"[ (]', q["sql"])
    ]
    assert on_case == ["INSERT"]  # no UPDATE just for the event counter
    assert Case.objects.filter(pk=case.pk).values_list("event_count", "status").get() == (1, "submitted")
    assert list(CaseEvent.objects.filter(case=case).values_list("seq", "kind")) == [(1, "submitted")]
    # The next action numbers its event 2.
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    assert list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", flat=True)) == [1, 2]
    assert Case.objects.get(pk=case.pk).event_count == 2


def test_still_open_reads_any_number_of_ids_five_at_a_time():
    w = world()
    made = [w.submit(title=f"路灯不亮 {i}") for i in range(7)]
    for closed in (made[1], made[5]):
        services.reject(case=closed, actor=w.dispatcher, reason="测试")
    ids = [c.pk for c in made]
    assert sorted(services._still_open(ids)) == sorted(ids[i] for i in (0, 2, 3, 4, 6))
    assert services._still_open([]) == [] and services._still_open([ids[1], 999_999]) == []
    assert sorted(services._still_open(ids[:5] + ids[:2])) == sorted([ids[0], ids[2], ids[3], ids[4], ids[0]])


@pytest.mark.django_db(transaction=True)
def test_a_query_planned_each_time_is_never_prepared_on_postgresql(case, settings):
    """The open-duplicates look-up runs through the kept cursor but is planned afresh each time: a generic plan made
    while the table is small would scan the whole table for ever after (see prepared.Query)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    settings.GONGZHI_DB_PREPARE = True
    each_time = prepared.Query(
        lambda a: Case.objects.filter(pk=a, status__in=["submitted"]).values_list("tracking_code"), plan_each_time=True
    )
    connection.close()
    for _ in range(7):  # past the five executions after which PostgreSQL would settle on a generic plan
        assert each_time(case.pk) == [(case.tracking_code,)]
        assert services._still_open([case.pk, 999_999]) == [case.pk]
    assert prepared.get(Case, case.pk) is not None  # the default: prepared
    on_case = [s for s in _server_prepared() if "cases_case" in s]
    assert len(on_case) == 1 and "IN (" not in on_case[0], on_case


def test_prepared_objects_are_the_instances_the_orm_builds_with_their_related_rows():
    """A user's posts (the read behind every permission check): the same instances, fields and related objects as
    the queryset's, joined rows cached, deferred fields left deferred, one statement per call."""
    from gongzhi.grid import selectors
    from gongzhi.grid.models import StaffPost

    w = world()
    w.department.service_area = w.street
    w.department.save(update_fields=["service_area"])
    StaffPost.objects.create(user=w.dept_staff, jurisdiction=w.district.jurisdiction, role="steward", node=w.micro)
    StaffPost.objects.create(
        user=w.dept_staff, jurisdiction=w.district.jurisdiction, role="steward", node=w.grid, active=False
    )
    read = prepared.Objects(lambda user_id: selectors._posts().filter(user_id=user_id))
    for user in (w.dept_staff, w.steward, w.resident):
        expected = list(selectors._posts().filter(user=user))
        with CaptureQueriesContext(connection) as ctx:
            got = read.objects(user.pk)
            related = [
                (p.node.path if p.node else None, p.department.service_area.path if p.department else None) for p in got
            ]
        assert len(ctx.captured_queries) == 1  # the posts, with their node, department and area joined
        assert [_fields(p) for p in got] == [_fields(p) for p in expected]
        assert related == [
            (p.node.path if p.node else None, p.department.service_area.path if p.department else None)
            for p in expected
        ]
        assert all("boundary" in p.node.get_deferred_fields() for p in got if p.node)
    assert len(read.objects(w.dept_staff.pk)) == 2 and read.objects(987654321) == []
    with pytest.raises(ValueError, match="model instances"):
        prepared.Objects(lambda pk: Case.objects.filter(pk=pk).values_list("pk")).objects(1)
