"""Pool dispatch under a real race: many stewards accept one pooled case at once; exactly one wins."""

import threading

import pytest
from django.db import connection, connections

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world
from gongzhi.core.errors import Conflict
from gongzhi.grid import roles
from gongzhi.grid.tests.factories import post

STEWARDS = 12


@pytest.mark.django_db(transaction=True)
def test_exactly_one_steward_wins_an_accept_race():
    if connection.vendor != "postgresql":
        pytest.skip("row locks race only on PostgreSQL (SQLite serialises writers); run `make test`")
    w = world()
    stewards = [w.steward, w.steward2] + [post(roles.STEWARD, node=w.micro).user for _ in range(STEWARDS - 2)]
    case = w.submit()
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)

    barrier = threading.Barrier(len(stewards))
    outcomes: list[str] = []
    lock = threading.Lock()

    def take(user):
        try:
            barrier.wait(timeout=10)
            services.accept(case=case.pk, actor=user)
            result = "won"
        except Conflict as exc:
            result = f"conflict: {exc}"  # English (str); people read exc.message in their language
        except Exception as exc:  # any other error is a failure of the test
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=take, args=(u,)) for u in stewards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes.count("won") == 1, outcomes
    assert outcomes.count("conflict: already taken: another person accepted this case first") == STEWARDS - 1
    case = Case.objects.get(pk=case.pk)
    assert case.status == t.ACCEPTED and case.handler_user in stewards
    assert CaseEvent.objects.filter(case=case, kind="accepted").count() == 1
