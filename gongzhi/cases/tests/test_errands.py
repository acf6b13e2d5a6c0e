"""代办: a case's handler hands a light errand to a volunteer (by the volunteers domain's id and a masked label), and
the volunteer reports it done. Only where the category allows it, only on an accepted case, only by its handler or a
dispatcher over its desk; no status changes; a refusal writes nothing."""

from __future__ import annotations

import pytest

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import EventKind
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world
from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    data = world()
    data.category.errand = True
    data.category.save(update_fields=["errand"])
    return data


def snapshot(case: Case) -> tuple:
    row = Case.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    return row, CaseEvent.objects.filter(case=case).count()


def give(case, actor, **kw):
    kw.setdefault("volunteer_ref", 7)
    kw.setdefault("volunteer_label", "张*")
    return services.give_errand(case=case, actor=actor, **kw)


def test_the_handler_hands_an_errand_on_without_a_change_of_status(w):
    case = w.to_accepted()
    before = case.event_count
    case = give(case, w.steward, note="买降压药两盒")
    assert (case.status, case.handler_user_id, case.event_count) == (t.ACCEPTED, w.steward.pk, before + 1)
    event = CaseEvent.objects.get(case=case, kind=EventKind.ERRAND_GIVEN)
    assert (event.actor, event.data, event.note, event.public) == (w.steward, {"volunteer": 7, "label": "张*"},
                                                                   "买降压药两盒", True)  # fmt: skip
    assert (event.from_status, event.to_status) == (t.ACCEPTED, t.ACCEPTED)


def test_a_dispatcher_over_the_owning_desk_may_hand_it_on_too(w):
    case = give(w.to_accepted(), w.dispatcher)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ERRAND_GIVEN).count() == 1


def test_a_category_that_is_not_light_is_refused_and_nothing_is_written(w):
    w.category.errand = False
    w.category.save(update_fields=["errand"])
    case = w.to_accepted()
    before = snapshot(case)
    with pytest.raises(DomainError, match="not a light one") as refused:
        give(case, w.steward)
    assert refused.value.code == "not_an_errand"
    assert snapshot(case) == before


@pytest.mark.parametrize("who", ["steward2", "grid_worker", "other_dispatcher", "dept_staff", "resident"])
def test_someone_else_may_not_hand_it_on(w, who):
    case = w.to_accepted()
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        give(case, getattr(w, who))
    assert snapshot(case) == before


def test_only_an_accepted_case(w):
    case = w.submit()
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, user=w.steward)
    before = snapshot(case)
    with pytest.raises(t.TransitionError):
        give(case, w.dispatcher)
    assert snapshot(case) == before
    resolved = w.to_resolved()
    with pytest.raises(t.TransitionError):
        give(resolved, w.steward)


@pytest.mark.parametrize("label", ["", " ", "张" * 40])
def test_a_volunteer_must_be_named(w, label):
    case = w.to_accepted()
    before = snapshot(case)
    with pytest.raises(DomainError):
        give(case, w.steward, volunteer_label=label)
    assert snapshot(case) == before


def test_the_volunteer_reports_it_done_and_the_handler_hears(w):
    case = give(w.to_accepted(), w.steward)
    services.errand_reported(case=case.pk, volunteer_ref=7, result="药已送到老人家中")
    done = CaseEvent.objects.get(case=case, kind=EventKind.ERRAND_DONE)
    assert (done.actor, done.note, done.data) == (None, "药已送到老人家中", {"volunteer": 7, "label": "张*"})
    assert Case.objects.get(pk=case.pk).status == t.ACCEPTED
    heard = Notification.objects.get(kind="case.errand_done")
    assert heard.recipient == w.steward and case.tracking_code in heard.body
    # The handler resolves as always.
    case = services.resolve(case=case.pk, actor=w.steward, result="已代买药品送达")
    assert case.status == t.RESOLVED


def test_a_report_needs_a_result_and_an_errand_given_to_that_volunteer(w):
    case = give(w.to_accepted(), w.steward)
    before = snapshot(case)
    for result in ("", "   ", "好" * 1001):
        with pytest.raises(DomainError):
            services.errand_reported(case=case.pk, volunteer_ref=7, result=result)
    with pytest.raises(NotFound):
        services.errand_reported(case=case.pk, volunteer_ref=8, result="做完了")
    assert snapshot(case) == before
    assert not Notification.objects.filter(kind="case.errand_done").exists()


def test_no_report_on_a_closed_case(w):
    case = give(w.to_accepted(), w.steward)
    services.resolve(case=case.pk, actor=w.steward, result="已办结")
    services.errand_reported(case=case.pk, volunteer_ref=7, result="送到了")  # resolved: still told
    services.close(case=case.pk)
    before = snapshot(case)
    with pytest.raises(t.TransitionError):
        services.errand_reported(case=case.pk, volunteer_ref=7, result="又送了一次")
    assert snapshot(case) == before


def test_the_actions_have_names_and_change_no_status():
    assert t.TABLE[t.GIVE_ERRAND] == {t.ACCEPTED: t.ACCEPTED}
    assert all(before == after for before, after in t.TABLE[t.ERRAND_DONE].items())
    assert not set(t.TABLE[t.ERRAND_DONE]) & t.FINAL
