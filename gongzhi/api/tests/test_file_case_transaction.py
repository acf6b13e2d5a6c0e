"""A partner's case is sorted before its transaction begins and written in one transaction with the partner's id and
idempotency key: the classifier never runs while that transaction (on SQLite, the site's one write lock) is open,
and a write refused inside it leaves none of the three rows behind."""

from __future__ import annotations

import pytest
from django.db import transaction

from gongzhi.api import services
from gongzhi.api.models import IdempotencyKey, InboundCase
from gongzhi.api.tests.factories import partner
from gongzhi.cases import services as cases
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.routing import services as routing

pytestmark = pytest.mark.django_db(transaction=True)  # real transactions, as a request runs them

BODY = {
    "external_id": "RX-77",
    "title": "小区路灯不亮",
    "description": "3号楼前路灯坏了三天",
    "reporter_phone": "13812345678",
}


@pytest.fixture
def sorted_in(monkeypatch):
    """Each call of the classifier and duplicate search, as (title, inside a transaction?)."""
    calls: list[tuple[str, bool]] = []
    suggest = routing.suggest

    def watched(**kwargs):
        calls.append((kwargs["title"], transaction.get_connection().in_atomic_block))
        return suggest(**kwargs)

    monkeypatch.setattr(cases.routing, "suggest", watched)
    return calls


def test_the_classifier_runs_before_the_transaction_and_the_three_rows_commit_together(sorted_in):
    w = world()
    p, _raw = partner(w.jurisdiction)

    filed = services.file_case(partner=p, data=dict(BODY), idempotency_key="k-1")

    assert sorted_in == [("小区路灯不亮", False)]
    case = Case.objects.get()
    assert (filed.case.pk, filed.replayed, case.external_id, case.source) == (case.pk, False, "RX-77", p.code)
    assert list(InboundCase.objects.values_list("partner_id", "external_id", "case_id")) == [(p.pk, "RX-77", case.pk)]
    assert list(IdempotencyKey.objects.values_list("key", "case_id")) == [("k-1", case.pk)]
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == ["submitted"]


def test_a_retry_with_the_same_key_replays_without_sorting_again(sorted_in):
    w = world()
    p, _raw = partner(w.jurisdiction)
    first = services.file_case(partner=p, data=dict(BODY), idempotency_key="k-1")

    again = services.file_case(partner=p, data=dict(BODY), idempotency_key="k-1")

    assert (again.case.pk, again.replayed) == (first.case.pk, True)
    assert len(sorted_in) == 1 and Case.objects.count() == 1 and IdempotencyKey.objects.count() == 1


def test_an_id_taken_between_sorting_and_writing_is_409_and_leaves_no_key_behind(monkeypatch):
    """Another request with the same partner id commits after this one was sorted and before its transaction: the
    case insert finds the id taken, and the key this request had inserted in its transaction is rolled back with it."""
    w = world()
    p, _raw = partner(w.jurisdiction)
    prepare = cases.prepare_submission
    raced: list[services.Filed] = []

    def prepare_then_lose_the_race(**kwargs):
        submission = prepare(**kwargs)
        if kwargs["source"] == p.code and not raced:  # the first request, sorted: the other one files now
            monkeypatch.setattr(cases, "prepare_submission", prepare)
            raced.append(services.file_case(partner=p, data=dict(BODY), idempotency_key="other"))
        return submission

    monkeypatch.setattr(cases, "prepare_submission", prepare_then_lose_the_race)

    with pytest.raises(Conflict) as refused:
        services.file_case(partner=p, data=dict(BODY), idempotency_key="mine")

    assert refused.value.code == "duplicate_external_id" and raced[0].case.tracking_code in str(refused.value)
    assert list(Case.objects.values_list("pk", flat=True)) == [raced[0].case.pk]
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["other"]
    assert InboundCase.objects.count() == 1


def test_a_submission_is_filed_once():
    w = world()
    submission = cases.prepare_submission(jurisdiction=w.jurisdiction, channel="api", title="路灯不亮")
    assert Case.objects.count() == 0  # preparing writes nothing
    case = cases.file_submission(submission)

    with pytest.raises(DomainError, match="filed already"):
        cases.file_submission(submission)

    assert list(Case.objects.values_list("pk", flat=True)) == [case.pk]
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_retry_that_finds_the_id_taken_by_its_own_first_request_replays_it(monkeypatch):
    """The first request with a key commits after the retry looked for the key and before it looked for the partner's
    id: the retry sees the id taken, and it is its own first request's, so it replays that case instead of a 409."""
    w = world()
    p, _raw = partner(w.jurisdiction)
    prepare = services._prepare
    first: list[services.Filed] = []

    def first_request_commits_meanwhile(*args):
        if not first:
            monkeypatch.setattr(services, "_prepare", prepare)
            first.append(services.file_case(partner=p, data=dict(BODY), idempotency_key="k-1"))
        return prepare(*args)

    monkeypatch.setattr(services, "_prepare", first_request_commits_meanwhile)

    retry = services.file_case(partner=p, data=dict(BODY), idempotency_key="k-1")

    assert (retry.case.pk, retry.replayed) == (first[0].case.pk, True)
    assert Case.objects.count() == 1 and IdempotencyKey.objects.count() == 1 and InboundCase.objects.count() == 1
