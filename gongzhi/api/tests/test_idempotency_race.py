"""The same Idempotency-Key sent 20 times in parallel creates one case (real PostgreSQL, real threads): the unique
index on (partner, key) makes the other 19 wait for the first transaction and then replay its case."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from gongzhi.api import services
from gongzhi.api.models import IdempotencyKey, InboundCase
from gongzhi.api.tests.factories import partner
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world

REQUESTS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_retries_create_one_case():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SQLite serialises writers); run `bash scripts/test.sh gongzhi/api`")
    w = world()
    p, _raw = partner(w.jurisdiction)
    body = {"external_id": "RX-RACE", "title": "路灯不亮", "category_code": w.category.code}
    barrier = threading.Barrier(REQUESTS)
    outcomes: list[tuple[str, bool] | str] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            filed = services.file_case(partner=p, data=dict(body), idempotency_key="retry-me")
            result: tuple[str, bool] | str = (filed.case.tracking_code, filed.replayed)
        except Exception as exc:  # any error fails the test below
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=send) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == REQUESTS and not [o for o in outcomes if isinstance(o, str)], outcomes
    assert len({code for code, _replayed in outcomes}) == 1
    assert sorted(replayed for _code, replayed in outcomes) == [False] + [True] * (REQUESTS - 1)
    assert Case.objects.count() == 1 and InboundCase.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    assert CaseEvent.objects.filter(kind="submitted").count() == 1
