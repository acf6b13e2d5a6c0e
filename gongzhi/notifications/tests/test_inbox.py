"""The in-app inbox: notify, mark_read, inbox_for, unread_count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.notifications import selectors, services
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def hello(registry):
    registry.register("test.hello", title="Hello %(name)s", body="Case %(code)s")
    return "test.hello"


def test_notify_creates_one_row_per_active_recipient(hello):
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory(is_active=False)
    rows = services.notify(
        recipients=[alice, bob, alice, carol, bob],
        kind=hello,
        context={"name": "网格员", "code": "GZ-1"},
        url="/console/cases/1/",
        subject="case:1",
    )
    assert [row.recipient for row in rows] == [alice, bob]
    assert all(row.pk for row in rows)
    stored = Notification.objects.order_by("recipient_id")
    assert [(n.recipient_id, n.kind, n.title, n.body, n.url, n.subject, n.read_at) for n in stored] == [
        (alice.pk, hello, "Hello 网格员", "Case GZ-1", "/console/cases/1/", "case:1", None),
        (bob.pk, hello, "Hello 网格员", "Case GZ-1", "/console/cases/1/", "case:1", None),
    ]


def test_notify_with_nobody_to_tell_writes_nothing(hello, django_assert_max_num_queries):
    with django_assert_max_num_queries(2) as queries:
        assert services.notify(recipients=[], kind=hello, context={}) == []
    assert all(q["sql"].startswith(("SAVEPOINT", "RELEASE")) for q in queries.captured_queries)
    assert services.notify(recipients=[UserFactory(is_active=False)], kind=hello, context={}) == []
    assert Notification.objects.count() == 0


def test_notify_is_one_insert_however_many_recipients(hello, django_assert_max_num_queries):
    users = UserFactory.create_batch(20)
    with django_assert_max_num_queries(3):  # savepoint, INSERT, release
        services.notify(recipients=users, kind=hello, context={"name": "x", "code": "y"})
    assert Notification.objects.count() == 20


def test_notify_renders_in_zh_hans_by_default_whatever_language_the_request_had(registry):
    registry.register("test.lang", title=_("mobile phone"), body="%(who)s")
    user = UserFactory()
    with translation.override("en"):
        (row,) = services.notify(recipients=[user], kind="test.lang", context={"who": _("user")})
    assert (row.title, row.body) == ("手机号码", "用户")


def test_long_titles_are_cut_to_fit(hello):
    (row,) = services.notify(recipients=[UserFactory()], kind=hello, context={"name": "长" * 300, "code": "1"})
    row.refresh_from_db()
    assert len(row.title) == 200 and row.title.endswith("…")


def test_the_generic_notice_kind():
    (row,) = services.notify(
        recipients=[UserFactory()], kind="system.notice", context={"title": "停水通知", "body": "明天 9:00–12:00 停水"}
    )
    assert (row.title, row.body) == ("停水通知", "明天 9:00–12:00 停水")


def _three_for(user, other, hello):
    mine = services.notify(recipients=[user], kind=hello, context={"name": "1", "code": "1"})
    mine += services.notify(recipients=[user], kind=hello, context={"name": "2", "code": "2"})
    theirs = services.notify(recipients=[other], kind=hello, context={"name": "3", "code": "3"})
    return mine, theirs


def test_mark_read_touches_only_the_users_own(hello):
    user, other = UserFactory(), UserFactory()
    mine, theirs = _three_for(user, other, hello)
    assert services.mark_read(user=user, notification_ids=[mine[0].pk, theirs[0].pk]) == 1
    assert Notification.objects.get(pk=theirs[0].pk).read_at is None
    assert Notification.objects.get(pk=mine[0].pk).read_at is not None
    assert Notification.objects.get(pk=mine[1].pk).read_at is None
    # Already read ones are not touched again.
    first_read = Notification.objects.get(pk=mine[0].pk).read_at
    assert services.mark_read(user=user) == 1
    assert Notification.objects.get(pk=mine[0].pk).read_at == first_read
    assert Notification.objects.get(pk=theirs[0].pk).read_at is None
    assert services.mark_read(user=user, notification_ids=[]) == 0
    assert services.mark_read(user=AnonymousUser()) == 0


def test_inbox_newest_first_unread_only_and_limited(hello):
    user, other = UserFactory(), UserFactory()
    mine, _theirs = _three_for(user, other, hello)
    Notification.objects.filter(pk=mine[0].pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert [n.pk for n in selectors.inbox_for(user)] == [mine[1].pk, mine[0].pk]
    services.mark_read(user=user, notification_ids=[mine[1].pk])
    assert [n.pk for n in selectors.inbox_for(user, unread_only=True)] == [mine[0].pk]
    assert [n.pk for n in selectors.inbox_for(user, limit=1)] == [mine[1].pk]
    assert selectors.inbox_for(AnonymousUser()) == []


def test_unread_count_is_one_query(hello, django_assert_num_queries):
    user, other = UserFactory(), UserFactory()
    mine, _theirs = _three_for(user, other, hello)
    services.mark_read(user=user, notification_ids=[mine[0].pk])
    with django_assert_num_queries(1):
        assert selectors.unread_count(user) == 1
    with django_assert_num_queries(0):
        assert selectors.unread_count(AnonymousUser()) == 0
