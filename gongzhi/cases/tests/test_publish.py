"""公示: the public summary written by the publish service, publishing closed cases, every refusal with its reason
and nothing changed, public ids."""

import pytest
from django.utils import translation

from gongzhi.cases import public, services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent, new_public_id
from gongzhi.cases.tests.factories import category, world
from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.grid.tests.factories import CompoundFactory

pytestmark = pytest.mark.django_db

RESULT = "已联系户主王五（电话 138.1234.5678）清理楼道，身份证 110101 19900307 1234 已登记"


@pytest.fixture
def w():
    data = world()
    compound = CompoundFactory(node=data.community, jurisdiction=data.jurisdiction, name="幸福里小区")
    data.building.compound = compound
    data.building.name = "3号楼"
    data.building.save()
    data.category.name = "楼道堆物"
    data.category.save(update_fields=["name"])
    return data


def snapshot(case):
    row = Case.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    return row, CaseEvent.objects.filter(case=case).count()


def resolved(w, result=RESULT, **kw):
    case = w.to_accepted(**kw)
    return services.resolve(case=case, actor=w.steward, result=result)


def test_every_case_gets_its_own_public_id_that_is_not_its_tracking_code(w):
    a, b = w.submit(), w.submit()
    assert len(a.public_id) == 12 and a.public_id != b.public_id
    assert a.public_id.islower() or a.public_id.isdigit()
    assert Case.objects.get(pk=a.pk).public_id == a.public_id  # stored, stable
    assert a.public_id.upper() != a.tracking_code
    assert len({new_public_id() for _ in range(1000)}) == 1000


def test_the_prefilled_summary_names_category_and_building_and_quotes_the_result(w):
    case = resolved(w, address="3单元502室")
    text = public.prefilled_summary(case)
    assert text.startswith("楼道堆物（幸福里小区 3号楼）：已联系户主王五")
    assert "502" not in text  # never the flat the resident typed
    kinds = [f.kind for f in public.summary_flags(text)]
    assert kinds == ["name", "phone", "id_number"]


def test_a_gps_report_is_placed_at_its_community_and_on_a_rounded_point(w):
    case = services.submit(
        jurisdiction=w.jurisdiction, channel="web", title="路灯不亮", lat=30.0012345, lon=120.0016789, address="5栋"
    )
    assert public.public_place(case) == w.community.name
    assert public.public_point(case) == (30.001, 120.002)


def test_publishing_stores_the_staff_summary_with_an_event(w):
    case = resolved(w)
    case = services.publish(case=case, actor=w.dispatcher, summary="  楼道堆物已清理。 ")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.public, stored.public_summary, stored.status) == (True, "楼道堆物已清理。", t.RESOLVED)
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.kind, event.note, event.data, event.actor) == (
        "published",
        "楼道堆物已清理。",
        {"summary": "staff"},
        w.dispatcher,
    )


def test_publishing_without_a_summary_masks_what_nobody_reviewed(w):
    """The simulator and scripts publish without a summary: the prefilled one goes out with its findings masked."""
    case = resolved(w)
    services.publish(case=case, actor=w.dispatcher, at=None)
    summary = Case.objects.get(pk=case.pk).public_summary
    assert public.summary_flags(summary) == []
    assert "王五" not in summary and "138.1234.5678" not in summary and "1234 5678" not in summary
    assert "138****5678" in summary and "王*" in summary
    assert CaseEvent.objects.filter(case=case, kind="published").get().data == {"summary": "prefilled"}


def test_a_closed_case_rated_satisfied_can_be_published(w):
    case = resolved(w, reporter=w.resident)
    case = services.rate(case=case, actor=w.resident, score="satisfied", solved=True)
    assert case.status == t.CLOSED
    case = services.publish(case=case, actor=w.dispatcher, summary="楼道已清理")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.public, stored.closed_at is not None) == (t.CLOSED, True, True)
    assert list(CaseEvent.objects.filter(case=case).order_by("-seq").values_list("kind", flat=True)[:2]) == [
        "published",
        "rated",
    ]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda w: w.to_accepted(), "not resolved yet"),
        (lambda w: services.reject(case=w.submit(), actor=w.dispatcher, reason="重复"), "rejected"),
        (lambda w: services.merge(case=w.submit(), into=w.submit(), actor=w.dispatcher), "merged"),
        (
            lambda w: services.publish(case=resolved(w), actor=w.dispatcher, summary="已处理"),
            "already published",
        ),
    ],
)
def test_a_refused_publication_says_why_and_changes_nothing(w, make, reason):
    case = make(w)
    before = snapshot(case)
    with pytest.raises(DomainError, match=reason):
        services.publish(case=case, actor=w.dispatcher, summary="已处理")
    assert snapshot(case) == before


def test_a_private_category_is_refused_in_chinese(w):
    private = category(w.jurisdiction, "neighbourhood.dispute", name="邻里纠纷", private=True)
    case = w.submit()
    services.triage(case=case, actor=w.dispatcher, category=private)
    services.dispatch(case=case, actor=w.dispatcher, user=w.steward)
    services.accept(case=case, actor=w.steward)
    case = services.resolve(case=case, actor=w.steward, result="已调解")
    before = snapshot(case)
    with pytest.raises(DomainError) as refused:
        services.publish(case=case, actor=w.dispatcher, summary="已调解")
    with translation.override("zh-hans"):
        assert "隐私" in refused.value.message or "私密" in refused.value.message
    assert snapshot(case) == before


def test_an_empty_or_too_long_summary_is_refused(w):
    case = resolved(w)
    before = snapshot(case)
    with pytest.raises(DomainError, match="public summary"):
        services.publish(case=case, actor=w.dispatcher, summary="   ")
    with pytest.raises(DomainError, match="public summary"):
        services.publish(case=case, actor=w.dispatcher, summary="长" * (public.MAX_SUMMARY + 1))
    assert snapshot(case) == before


def test_only_staff_who_may_publish_there_can(w):
    case = resolved(w)
    before = snapshot(case)
    for who in (w.steward, w.grid_worker, w.other_dispatcher, w.resident):
        with pytest.raises(PermissionDenied):
            services.publish(case=case, actor=who, summary="已处理")
    assert snapshot(case) == before
