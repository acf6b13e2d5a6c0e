"""The sweep run by several workers at once (``gongzhi worker`` on more than one host, docs/scaling.md): a case
another worker's sweep closed between this sweep's list and its turn is skipped, and the sweep goes on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world

pytestmark = pytest.mark.django_db


def test_a_case_another_sweep_closed_first_is_skipped_and_the_rest_are_closed(monkeypatch):
    w = world()
    start = timezone.now()
    first, second = w.to_resolved(at=start), w.to_resolved(at=start)
    close = services.close

    def another_worker_first(*, case, at):  # type: ignore[no-untyped-def]
        if case == first.pk:
            close(case=case, at=at)  # the other worker's sweep, between this one's list and its turn
        return close(case=case, at=at)

    monkeypatch.setattr(services, "close", another_worker_first)
    counts = services.sweep(at=start + timedelta(days=8))

    assert counts["closed"] == 1  # the second; the first was the other worker's
    assert set(Case.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {t.CLOSED}
    for case in (first, second):
        assert CaseEvent.objects.filter(case=case, kind="closed").count() == 1
