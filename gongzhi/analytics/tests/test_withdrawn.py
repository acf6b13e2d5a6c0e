"""A case its reporter withdrew before it was resolved (issue 24, item 15) counts as received and as nothing else:
not handled, not open, not overdue — never an unresolved case — in the incremental rollups and in the SQL rebuild
alike, and the case engine's own figures agree."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gongzhi.analytics import rollup, selectors
from gongzhi.analytics.tests.test_rollup import facts_snapshot, rows_snapshot
from gongzhi.cases import figures as case_figures
from gongzhi.cases import services
from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import world

pytestmark = pytest.mark.django_db
T0 = datetime(2025, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MARCH, APRIL = date(2025, 3, 1), date(2025, 4, 1)


def test_a_withdrawn_case_is_received_and_nothing_more():
    w = world()
    kept = w.to_accepted(at=T0)
    gone = w.to_accepted(reporter=w.resident, at=T0)
    rollup.catch_up()
    before = selectors.counts(node=w.district, period="m", since=MARCH, until=APRIL)
    assert (before["received"], before["handled"], before["open"], before["due_response"]) == (2, 2, 2, 2)
    # Overdue first, then withdrawn: it leaves the open and overdue counts with the rest.
    services.sweep(at=T0 + timedelta(days=30))
    services.withdraw(case=gone, actor=w.resident, reason="已自行解决", at=T0 + timedelta(days=31))
    assert rollup.catch_up() >= 1
    after = selectors.counts(node=w.district, period="m", since=MARCH, until=APRIL)
    assert (after["received"], after["handled"], after["open"], after["overdue"], after["resolved"]) == (2, 1, 1, 1, 0)
    assert after["due_response"] == 1
    engine = case_figures.headline(Case.objects.all())
    assert (engine["received"], engine["handled"], engine["withdrawn"], engine["overdue_open"]) == (2, 1, 1, 1)
    incremental = (rows_snapshot(), facts_snapshot())
    rollup.rebuild()
    assert (rows_snapshot(), facts_snapshot()) == incremental
    assert kept.pk != gone.pk
