"""Sign-up races on PostgreSQL: 30 volunteers sign up at once for 5 places (threads, each with its own connection,
released together by a barrier). Exactly 5 are confirmed and 25 wait, ``taken`` is 5; a cancellation promotes exactly
the first waiting one; the same volunteer signing up twice at once gets one sign-up."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, connections

from gongzhi.core.errors import Conflict
from gongzhi.volunteers import services
from gongzhi.volunteers.choices import SignUpStatus
from gongzhi.volunteers.models import Activity, SignUp
from gongzhi.volunteers.tests.factories import people_world, phone

VOLUNTEERS = 30
PLACES = 5


def _skip_on_sqlite() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("sign-up races need concurrent writers: PostgreSQL only (SQLite serialises them); `make test`")


def _race(calls: list[Callable[[], SignUp]]) -> Counter[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(call: Callable[[], SignUp]) -> None:
        try:
            barrier.wait(timeout=20)
            result = str(call().status)
        except Conflict as exc:
            result = f"conflict: {exc.code}"
        except Exception as exc:  # any other error fails the test
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_thirty_volunteers_race_for_five_places_and_a_cancellation_promotes_exactly_one():
    _skip_on_sqlite()
    w = people_world()
    activity = w.activity(capacity=PLACES)
    volunteers = [w.volunteer(name=f"志愿者{n}", phone=phone(9000 + n)) for n in range(VOLUNTEERS)]

    outcomes = _race([lambda v=v: services.sign_up(activity=activity.pk, volunteer=v) for v in volunteers])

    print(f"sign-up race: {dict(outcomes)}")
    assert outcomes == Counter({SignUpStatus.CONFIRMED: PLACES, SignUpStatus.WAITING: VOLUNTEERS - PLACES})
    activity.refresh_from_db()
    assert activity.taken == PLACES
    rows = SignUp.objects.filter(activity=activity)
    assert rows.filter(status=SignUpStatus.CONFIRMED).count() == PLACES
    assert rows.filter(status=SignUpStatus.WAITING).count() == VOLUNTEERS - PLACES

    first_waiting = rows.filter(status=SignUpStatus.WAITING).order_by("signed_up_at", "pk").first()
    assert first_waiting is not None
    leaving = rows.filter(status=SignUpStatus.CONFIRMED).order_by("pk").first()
    assert leaving is not None
    services.cancel_sign_up(sign_up=leaving, volunteer=leaving.volunteer)

    activity.refresh_from_db()
    assert activity.taken == PLACES
    assert rows.filter(status=SignUpStatus.CONFIRMED).count() == PLACES
    assert rows.filter(status=SignUpStatus.WAITING).count() == VOLUNTEERS - PLACES - 1
    first_waiting.refresh_from_db()
    assert first_waiting.status == SignUpStatus.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_cancellations_at_once_each_promote_one_and_never_over_capacity():
    _skip_on_sqlite()
    w = people_world()
    activity = w.activity(capacity=PLACES)
    for n in range(PLACES + 8):
        services.sign_up(activity=activity, volunteer=w.volunteer(name=f"志愿者{n}", phone=phone(9500 + n)))
    confirmed = list(SignUp.objects.filter(activity=activity, status=SignUpStatus.CONFIRMED))
    assert len(confirmed) == PLACES

    outcomes = _race([lambda e=e: services.cancel_sign_up(sign_up=e.pk) for e in confirmed])

    assert outcomes == Counter({SignUpStatus.CANCELLED: PLACES})
    rows = SignUp.objects.filter(activity=activity)
    assert rows.filter(status=SignUpStatus.CONFIRMED).count() == PLACES
    assert rows.filter(status=SignUpStatus.WAITING).count() == 8 - PLACES
    assert Activity.objects.get(pk=activity.pk).taken == PLACES


@pytest.mark.django_db(transaction=True)
def test_the_same_volunteer_signing_up_twice_at_once_gets_one_sign_up():
    _skip_on_sqlite()
    w = people_world()
    activity = w.activity(capacity=PLACES)
    volunteer = w.volunteer()

    outcomes = _race([lambda: services.sign_up(activity=activity.pk, volunteer=volunteer)] * 2)

    assert outcomes == Counter({SignUpStatus.CONFIRMED: 1, "conflict: duplicate": 1})
    assert SignUp.objects.filter(activity=activity, volunteer=volunteer).count() == 1
    assert Activity.objects.get(pk=activity.pk).taken == 1
