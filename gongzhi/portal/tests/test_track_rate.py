"""Following a request by tracking code and rating it: what the resident sees, and who may rate."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.cases.choices import EventKind
from gongzhi.cases.models import Case, Rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def submit_as_resident(client, w, **extra) -> Case:
    data = {"description": "楼道里堆满杂物，挡住了消防通道", **extra}
    assert client.post(reverse("portal:scan", args=[w.building.public_token]), data).status_code == 302
    return Case.objects.latest("pk")


def track(client, case) -> str:
    response = client.get(reverse("portal:track", args=[case.tracking_code]))
    assert response.status_code == 200
    return response.content.decode()


def resolve(w, case, result="已清理楼道杂物") -> Case:
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    services.accept(case=case, actor=w.steward)
    return services.resolve(case=case, actor=w.steward, result=result, photos=["cases/results/fixed.jpg"])


def test_unknown_code_is_404(en, w):
    assert en.get(reverse("portal:track", args=["NOPE123"])).status_code == 404
    response = en.get(reverse("portal:track_lookup"), {"code": "nope 123"})
    assert response.status_code == 404
    assert "No request has this tracking code" in response.content.decode()


def test_lookup_by_code_ignores_case_and_spaces(en, w):
    case = w.submit()
    code = case.tracking_code
    response = en.get(reverse("portal:track_lookup"), {"code": f" {code[:4].lower()} {code[4:]} "})
    assert response.status_code == 302 and response["Location"] == reverse("portal:track", args=[code])


def test_progress_handler_card_deadline_and_only_public_events(en, w):
    case = submit_as_resident(en, w)
    html = track(en, case)
    assert "Received, waiting to be arranged" in html and 'id="handler"' not in html
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    services.accept(case=case, actor=w.steward)
    services.supervise(case=case, actor=w.dispatcher, reason="内部督办：请尽快处理")
    html = track(en, case)
    assert "Being handled" in html
    assert 'aria-current="step">Being handled' in html
    # 三亮: the handler's public card.
    assert "张小管" in html and "小管家" in html and 'href="tel:13900001111"' in html
    assert 'id="due"' in html
    # Staff-only events and notes stay internal.
    assert "内部督办" not in html
    assert html.count('<li class="event-') == 4  # submitted, triaged, dispatched, accepted


def test_reporter_rates_satisfied_and_the_case_closes(en, w):
    case = submit_as_resident(en, w)
    resolve(w, case)
    html = track(en, case)
    assert "Resolved — please rate the result" in html
    assert "已清理楼道杂物" in html
    assert reverse("portal:photo", args=[case.tracking_code, 0]) in html  # the result photo
    assert 'id="rating-form"' in html
    response = en.post(
        reverse("portal:rate", args=[case.tracking_code]), {"score": "satisfied", "solved": "yes", "comment": "谢谢"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    rating = Rating.objects.get()
    assert (rating.case, rating.score, rating.solved, rating.comment, rating.round) == (
        case,
        "satisfied",
        True,
        "谢谢",
        0,
    )
    assert case.events.order_by("-seq").first().kind == EventKind.RATED
    html = track(en, case)
    assert "Thank you for rating." in html and "Closed" in html and 'id="rating-form"' not in html


def test_unhappy_rating_reopens_and_says_so(en, w):
    case = submit_as_resident(en, w)
    resolve(w, case)
    response = en.post(reverse("portal:rate", args=[case.tracking_code]), {"score": "unsatisfied", "solved": "no"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.rework_count, case.handler_user) == ("dispatched", 1, w.steward)
    assert case.events.order_by("-seq").first().kind == EventKind.REWORK
    html = track(en, case)
    assert "Your request has been reopened" in html
    assert "You rated: unsatisfied" in html


def test_rating_twice_is_409_and_writes_nothing(en, w):
    case = submit_as_resident(en, w)
    resolve(w, case)
    en.post(reverse("portal:rate", args=[case.tracking_code]), {"score": "basically", "solved": "yes"})
    events = case.events.count()
    # The case is closed now; the services refuse a second rating.
    response = en.post(reverse("portal:rate", args=[case.tracking_code]), {"score": "unsatisfied", "solved": "no"})
    assert response.status_code in (400, 409)
    assert Rating.objects.count() == 1 and case.events.count() == events


def test_a_stranger_cannot_rate(client, w):
    case = w.submit(reporter_phone="13812345678")
    resolve(w, case)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = track(client, case)
    assert 'id="rating-form"' not in html and "Log in with your mobile number" in html
    response = client.post(reverse("portal:rate", args=[case.tracking_code]), {"score": "unsatisfied", "solved": "no"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "resolved" and Rating.objects.count() == 0


@pytest.mark.parametrize("data", [{}, {"score": "great", "solved": "yes"}, {"score": "satisfied"}])
def test_incomplete_ratings_are_refused(en, w, data):
    case = submit_as_resident(en, w)
    resolve(w, case)
    events = case.events.count()
    response = en.post(reverse("portal:rate", args=[case.tracking_code]), data)
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == "resolved" and case.events.count() == events and Rating.objects.count() == 0


def test_rating_before_resolution_is_refused(en, w):
    case = submit_as_resident(en, w)
    response = en.post(reverse("portal:rate", args=[case.tracking_code]), {"score": "satisfied", "solved": "yes"})
    assert response.status_code == 400
    assert Rating.objects.count() == 0


def test_the_reason_of_a_refusal_is_in_the_residents_language(client, w):
    case = submit_as_resident(client, w)  # no Accept-Language: the default, Chinese
    response = client.post(reverse("portal:rate", args=[case.tracking_code]), {"score": "satisfied", "solved": "yes"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "只有已办结的案件可以评价" in html and "only a resolved case" not in html
    assert Rating.objects.count() == 0


def test_a_merged_duplicate_follows_and_rates_its_parent(en, w):
    parent = w.submit(title="三号楼楼道堆物")
    case = submit_as_resident(en, w)
    services.triage(case=parent, actor=w.dispatcher, category=w.category)
    services.merge(case=case, into=parent, actor=w.dispatcher)
    resolve_rest = parent
    services.dispatch(case=resolve_rest, actor=w.dispatcher, node=w.micro, pool=True)
    services.accept(case=resolve_rest, actor=w.steward)
    services.resolve(case=resolve_rest, actor=w.steward, result="已统一清理")
    html = track(en, case)
    assert "Several neighbours reported the same problem" in html and "已统一清理" in html
    assert (
        en.post(reverse("portal:rate", args=[case.tracking_code]), {"score": "satisfied", "solved": "yes"}).status_code
        == 302
    )
    rating = Rating.objects.get()
    assert (rating.case_id, rating.via_case_id) == (parent.pk, case.pk)


def test_large_text_mode_stays_on(en, w):
    assert 'class="portal"' in en.get(reverse("portal:home")).content.decode()
    response = en.post(reverse("portal:display"), {"large": "1", "next": reverse("portal:report")})
    assert response.status_code == 302 and response["Location"] == reverse("portal:report")
    assert response.cookies["gz_large"]["max-age"] >= 365 * 24 * 3600
    assert 'class="portal large"' in en.get(reverse("portal:home")).content.decode()
    assert 'aria-pressed="true"' in en.get(reverse("portal:home")).content.decode()
    # Off again; an outside "next" is not followed.
    response = en.post(reverse("portal:display"), {"large": "0", "next": "https://evil.example/"})
    assert response["Location"] == reverse("portal:home")
    assert 'class="portal"' in en.get(reverse("portal:home")).content.decode()


def test_pages_are_chinese_by_default_and_switch_to_english(client, w):
    html = client.get(reverse("portal:home")).content.decode()
    assert '<html lang="zh-hans"' in html
    client.post(reverse("set_language"), {"language": "en", "next": reverse("portal:home")})
    assert '<html lang="en"' in client.get(reverse("portal:home")).content.decode()


def test_unknown_code_in_the_lookup_form_counts_as_a_guess(en, w, settings):
    settings.GONGZHI_TRACK_RATE_LIMIT = (1, 600)
    response = en.get(reverse("portal:track_lookup"), {"code": "2611ZZZZZZ"})
    assert response.status_code == 404
    assert "No request has this tracking code" in response.content.decode()
    assert en.get(reverse("portal:track_lookup"), {"code": "2611ZZZZZZ"}).status_code == 429


def test_a_tracking_page_the_database_is_too_busy_for_is_a_503_not_a_500(client, w, monkeypatch):
    """The whole request, through the middleware: Chinese by default, Retry-After, a link to ask again."""
    from django.db import OperationalError

    from gongzhi.portal import views

    def locked(code):
        raise OperationalError("database is locked: another connection kept the write turn for 20 s")

    monkeypatch.setattr(views.case_selectors, "case_by_tracking_code", locked)

    response = client.get("/r/t/ABCDEF2345/")

    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "系统繁忙" in page and 'href="/r/t/ABCDEF2345/"' in page
