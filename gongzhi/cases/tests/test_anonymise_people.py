"""cases.services.anonymise_people: a person erased on their request (the care registry) is taken out of the cases
filed for them — reporter fields and blind indexes blanked, personal data in the texts masked, one internal event —
atomically, and only by the system or someone who keeps the registry over the case's place."""

from __future__ import annotations

import pytest

from gongzhi.cases import services
from gongzhi.cases.choices import EventKind
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world
from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.routing.models import CaseTriage

pytestmark = pytest.mark.django_db

NAME = "欧阳秀英"
PHONE = "13812345678"


@pytest.fixture
def w():
    return world()


def _case(w):
    case = w.submit(
        title=f"{NAME}反映家中漏水",
        description=f"独居老人{NAME}，电话{PHONE}，住5单元1203室，身份证990101194005170105。",
        reporter_name=NAME,
        reporter_phone=PHONE,
        reporter_login_phone=PHONE,
        reporter=w.resident,
    )
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    return Case.objects.get(pk=case.pk)


def _texts(case: Case) -> str:
    case.refresh_from_db()
    events = " ".join(e.note + str(e.data) for e in CaseEvent.objects.filter(case=case))
    triage = " ".join(t.text for t in CaseTriage.objects.filter(case_id=case.pk))
    return " ".join([case.title, case.description, case.address, case.reporter_name, events, triage])


def test_the_reporter_and_the_texts_lose_the_persons_data(w):
    case = _case(w)
    other = w.submit(title="路灯不亮", reporter_name="张建国", reporter_phone="13900001111")
    assert NAME in _texts(case)
    events_before = case.event_count
    changed = services.anonymise_people(
        case_ids=[case.pk, case.pk], actor=w.dispatcher, reason="本人申请删除", names=[NAME]
    )
    assert changed == 1
    case.refresh_from_db()
    assert (case.reporter_id, case.reporter_name, case.reporter_phone, case.reporter_phone_index) == (None, "", "", "")
    assert (case.reporter_login_phone, case.reporter_login_index) == ("", None)
    text = _texts(case)
    for secret in (NAME, PHONE, "990101194005170105", "1203室"):
        assert secret not in text, secret
    assert case.title == "欧***反映家中漏水"
    event = CaseEvent.objects.get(case=case, kind=EventKind.ANONYMISED)
    assert (event.public, event.actor, event.note) == (False, w.dispatcher, "本人申请删除")
    assert case.event_count == events_before + 1 and case.status != ""
    # Nobody else's case is touched.
    other.refresh_from_db()
    assert (other.reporter_name, other.reporter_phone) == ("张建国", "13900001111")


def test_someone_who_does_not_keep_the_registry_there_changes_nothing(w):
    case = _case(w)
    before = _texts(case), Case.objects.filter(pk=case.pk).values().get()
    for actor in (w.other_dispatcher, w.steward, w.centre):
        with pytest.raises(PermissionDenied):
            services.anonymise_people(case_ids=[case.pk], actor=actor, reason="本人申请", names=[NAME])
    assert (_texts(case), Case.objects.filter(pk=case.pk).values().get()) == before
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.ANONYMISED).exists()


def test_a_reason_is_required_and_the_system_may_anonymise(w):
    case = _case(w)
    with pytest.raises(DomainError):
        services.anonymise_people(case_ids=[case.pk], actor=None, reason="  ")
    assert Case.objects.get(pk=case.pk).reporter_name == NAME
    assert services.anonymise_people(case_ids=[case.pk], actor=None, reason="保存期满") == 1
    assert services.anonymise_people(case_ids=[], actor=None, reason="保存期满") == 0
    assert Case.objects.get(pk=case.pk).reporter_phone == ""
