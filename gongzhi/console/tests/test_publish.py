"""公示 in the console: the public-summary editor (prefilled, personal data highlighted, a tick to publish it anyway),
publishing closed cases, a reason for every refusal — on the case page and per case in the bulk action, which
publishes each case's prefilled summary and lists the flagged ones for review."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import category, world
from gongzhi.grid.tests.factories import CompoundFactory

pytestmark = pytest.mark.django_db

FLAGGED = "已联系户主王五（138 1234 5678）清理"


@pytest.fixture
def w():
    data = world()
    data.building.compound = CompoundFactory(node=data.community, jurisdiction=data.jurisdiction, name="幸福里小区")
    data.building.name = "3号楼"
    data.building.save()
    data.category.name = "楼道堆物"
    data.category.save(update_fields=["name"])
    return data


def staff(user, language="en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(user)
    return c


def snapshot(case):
    row = Case.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    return row, CaseEvent.objects.filter(case=case).count()


def resolved(w, result="已清理楼道杂物，通道畅通"):
    case = w.to_accepted()
    return services.resolve(case=case, actor=w.steward, result=result)


def action(case):
    return reverse("console:case_action", args=[case.pk, "publish"])


def test_the_editor_is_prefilled_and_highlights_personal_data(w):
    case = resolved(w, FLAGGED)
    page = staff(w.dispatcher).get(reverse("console:case", args=[case.pk])).content.decode()
    assert "楼道堆物（幸福里小区 3号楼）：已联系户主王五（138 1234 5678）清理" in page  # the textarea, prefilled
    preview = page.split('id="publish-preview"')[1].split("</div>\n</div>")[0]
    assert '<mark class="flag flag-name"' in preview and ">王五</mark>" in preview
    assert '<mark class="flag flag-phone"' in preview and ">138 1234 5678</mark>" in preview
    assert "2 parts look like personal data" in preview


def test_a_flagged_summary_is_not_published_until_checked_or_edited(w):
    case = resolved(w, FLAGGED)
    c = staff(w.dispatcher)
    text = "楼道堆物（幸福里小区 3号楼）：" + FLAGGED
    before = snapshot(case)
    response = c.post(action(case), {"summary": text})
    assert response.status_code == 400
    assert "still holds what looks like personal data" in response.content.decode()
    assert snapshot(case) == before
    # "Check the text again" shows the highlights of the edited text and publishes nothing.
    response = c.post(action(case), {"summary": "楼道已清理，联系人李四", "check": "1"})
    assert response.status_code == 200 and ">李四</mark>" in response.content.decode()
    assert snapshot(case) == before
    # Edited: published as written, with its event.
    response = c.post(action(case), {"summary": "楼道堆物已清理，消防通道畅通。"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.public, case.public_summary) == (True, "楼道堆物已清理，消防通道畅通。")
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.kind, event.note, event.data) == ("published", "楼道堆物已清理，消防通道畅通。", {"summary": "staff"})


def test_a_checked_false_positive_is_published(w):
    case = resolved(w, "已更换 12345678 号路灯")
    c = staff(w.dispatcher)
    summary = "路灯已修复，编号 电话 87654321"  # a number after 电话: flagged
    assert c.post(action(case), {"summary": summary}).status_code == 400
    assert c.post(action(case), {"summary": summary, "checked": "on"}).status_code == 302
    case.refresh_from_db()
    assert case.public_summary == summary


def test_a_closed_case_rated_satisfied_is_published_from_the_console(w):
    case = resolved(w)
    case = services.rate(case=case, actor=None, score="satisfied", solved=True, verified_reporter=True)
    assert case.status == t.CLOSED
    c = staff(w.dispatcher)
    page = c.get(reverse("console:case", args=[case.pk])).content.decode()
    assert action(case) in page
    assert c.post(action(case), {"summary": "楼道杂物已清理"}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.public) == (t.CLOSED, True)
    page = c.get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'id="case-public-summary"' in page and "楼道杂物已清理" in page
    assert "already published" in page.split('id="publish-refusal"')[1][:300]


def test_a_refused_publication_says_why_on_the_case_page_and_changes_nothing(w):
    private = category(w.jurisdiction, "neighbourhood.dispute", name="邻里纠纷", private=True)
    case = w.submit()
    services.triage(case=case, actor=w.dispatcher, category=private)
    services.dispatch(case=case, actor=w.dispatcher, user=w.steward)
    services.accept(case=case, actor=w.steward)
    case = services.resolve(case=case, actor=w.steward, result="已调解")
    c = staff(w.dispatcher, language="zh-hans")
    page = c.get(reverse("console:case", args=[case.pk])).content.decode()
    refusal = page.split('id="publish-refusal">')[1].split("</p>")[0]
    assert action(case) not in page and refusal.startswith("不能公示：")
    before = snapshot(case)
    response = c.post(action(case), {"summary": "已调解"})
    assert response.status_code == 409
    assert "操作未执行：" + refusal.split("：", 1)[1] in response.content.decode()
    assert snapshot(case) == before
    # Someone who may not publish at all gets a plain 403.
    assert staff(w.steward).post(action(case), {"summary": "x"}).status_code == 403
    assert snapshot(case) == before


def test_bulk_publication_says_what_happened_to_each_case(w):
    clean = resolved(w)
    flagged = resolved(w, FLAGGED)
    closed = services.rate(case=resolved(w), actor=None, score="satisfied", solved=True, verified_reporter=True)
    open_case = w.to_accepted()
    published = services.publish(case=resolved(w), actor=w.dispatcher, summary="已处理")
    rejected = services.reject(case=w.submit(), actor=w.dispatcher, reason="重复")
    parent = w.submit()
    merged = services.merge(case=w.submit(), into=parent, actor=w.dispatcher)
    private = category(w.jurisdiction, "neighbourhood.dispute", name="邻里纠纷", private=True)
    secret = w.submit()
    services.triage(case=secret, actor=w.dispatcher, category=private)
    services.dispatch(case=secret, actor=w.dispatcher, user=w.steward)
    services.accept(case=secret, actor=w.steward)
    secret = services.resolve(case=secret, actor=w.steward, result="已调解")
    elsewhere = Case.objects.exclude(pk__in=[]).count() + 10_000  # an id nobody can see
    untouched = {c.pk: snapshot(c) for c in (flagged, open_case, published, rejected, merged, secret)}

    ticked = [clean, flagged, closed, open_case, published, rejected, merged, secret]
    response = staff(w.dispatcher).post(
        reverse("console:cases_bulk"), {"action": "publish", "case": [c.pk for c in ticked] + [elsewhere]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    rows = {
        code: row.split("</tr>")[0]
        for code, row in ((part.split('"', 1)[0], part) for part in page.split('data-code="')[1:])
    }

    def outcome(case):
        return rows[case.tracking_code]

    assert "badge bulk-done" in outcome(clean) and "badge bulk-done" in outcome(closed)
    assert "badge bulk-review" in outcome(flagged)
    assert f"{reverse('console:case', args=[flagged.pk])}?review=publish#action-publish" in outcome(flagged)
    assert "not resolved yet" in outcome(open_case)
    assert "already published" in outcome(published)
    assert "rejected" in outcome(rejected)
    assert "merged into another case" in outcome(merged)
    assert "private category" in outcome(secret)
    assert "1 ticked case is not in your area." in page
    assert "2 done" in page and "1 to review" in page and "5 not possible" in page
    for case in (clean, closed):
        case.refresh_from_db()
        assert case.public and case.public_summary.startswith("楼道堆物（幸福里小区 3号楼）：")
    assert {c.pk: snapshot(c) for c in (flagged, open_case, published, rejected, merged, secret)} == untouched


def test_the_bulk_refusal_for_someone_who_may_not_publish_there(w):
    case = resolved(w)
    before = snapshot(case)
    response = staff(w.grid_worker).post(reverse("console:cases_bulk"), {"action": "publish", "case": [case.pk]})
    page = response.content.decode()
    assert "You may not do this to cases of" in page or "not in your area" in page
    assert snapshot(case) == before
