"""Smart triage (issue 7) through the case engine, the console and `gongzhi triage`: the parts of triage that need
the layers above ``routing`` (the seed catalogue, cases, grid, notifications, console) are tested here, in L3.
The pure core is tested in ``gongzhi/routing/tests``."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from gongzhi.cases import services as cases
from gongzhi.cases.models import CaseEvent
from gongzhi.cases.seed_catalogue import iter_leaves
from gongzhi.cases.tests.factories import category, world
from gongzhi.core import timeutil
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.grid.tests.factories import BuildingFactory
from gongzhi.notifications.models import Notification
from gongzhi.routing import classifier, demo_corpus, similarity
from gongzhi.routing import services as routing
from gongzhi.routing.models import CaseTriage, Source, TriageModel, TriageSettings
from gongzhi.routing.places import Place
from gongzhi.routing.tests.labelled import DUPLICATES, found_duplicate, precision_recall

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_triage_caches():
    """Models, thresholds and place names are cached per process by jurisdiction id; ids repeat across tests."""
    routing.invalidate()
    yield
    routing.invalidate()


def categories() -> list[demo_corpus.CategoryText]:
    return [
        demo_corpus.CategoryText(c.code, c.name, c.description, c.keywords, c.default_level, c.department or "")
        for c in iter_leaves()
    ]


@cache
def demo_model() -> classifier.Model:
    """A demo model trained once per test process on our generated text for the seed catalogue."""
    samples = demo_corpus.generate(categories(), per_category=40)
    return classifier.train(samples, heads=("category", "unit", "level"), options=demo_corpus.OPTIONS)


# ------------------------------------------------------------------------------------------- the demo model (pure)


def test_demo_model_suggests_the_right_category_unit_and_level():
    model = demo_model()
    expected = {
        "小区东门垃圾桶满了好几天没人收": ("sanitation.uncollected", "city_management", "grid"),
        "厨房有很浓的煤气味": ("energy.gas_leak", "gas", "district"),
        "楼道里有人飞线给电动车充电": ("housing.flying_wire", "property", "micro_grid"),
        "井盖没了，晚上很危险": ("utilities.manhole", "city_management", "street"),
        "想申请低保，需要什么材料": ("errands.dibao", "civil_affairs", "street"),
    }
    for request, labels in expected.items():
        found = model.predict(request)
        assert (found["category"].label, found["unit"].label, found["level"].label) == labels, request


def test_top_k_is_sorted_and_confidence_is_the_first():
    found = demo_model().predict("路灯不亮", k=5)["category"]
    probs = [p for _label, p in found.top]
    assert len(found.top) == 5
    assert probs == sorted(probs, reverse=True)
    assert found.confidence == probs[0] and 0 < sum(probs) <= 1.0001


def test_unknown_text_is_unsure():
    found = demo_model().predict("今天天气不错")["category"]
    assert found.confidence < 0.5


def test_round_trip_through_bytes_predicts_the_same():
    model = demo_model()
    again = classifier.Model.from_bytes(model.to_bytes())
    for request in ("路灯不亮", "楼上太吵", "电梯坏了"):
        a, b = model.predict(request)["category"], again.predict(request)["category"]
        assert a.label == b.label and abs(a.confidence - b.confidence) < 0.01


def test_duplicate_precision_and_recall_on_the_labelled_set():
    """As in production: both cases carry the category the demo model suggests for them."""
    model = demo_model()

    def group(text: str) -> str:
        return model.predict(text)["category"].label

    precision, recall = precision_recall([(found_duplicate(a, b, group), same) for a, b, same in DUPLICATES])
    print(
        f"duplicates (with suggested categories): {len(DUPLICATES)} pairs, "
        f"precision {precision:.3f}, recall {recall:.3f}"
    )
    assert precision >= 0.9
    assert recall >= 0.75


# -------------------------------------------------------------------------------------------- through the engine


@pytest.fixture
def w():
    w = world()
    for code, level in (
        ("utilities.streetlight", "street"),
        ("sanitation.uncollected", "grid"),
        ("energy.gas_leak", "district"),
        ("housing.flying_wire", "micro_grid"),
    ):
        category(w.jurisdiction, code, level=level)
    return w


def _activate(w, **settings_fields) -> TriageModel:
    if settings_fields:
        TriageSettings.objects.create(jurisdiction_id=w.jurisdiction.pk, **settings_fields)
    return routing.store_model(jurisdiction_id=w.jurisdiction.pk, model=demo_model(), source=Source.DEMO)


def _events(case):
    return list(CaseEvent.objects.filter(case_id=case.pk).order_by("seq").values_list("kind", "actor_id", "data"))


def test_without_a_model_nothing_is_applied_but_urgency_and_the_record_are(w):
    case = w.submit(title="垃圾桶满了好几天没人收")
    assert case.status == "submitted" and case.category_id is None
    row = CaseTriage.objects.get(case_id=case.pk)
    assert (row.category, row.confidence, row.auto_applied, row.emergency) == ("", 0.0, False, False)
    assert row.node_path == w.micro.path and row.text == "垃圾桶满了好几天没人收"


def test_confident_suggestion_is_applied_by_the_system_with_an_event(w):
    _activate(w, auto_confidence=0.5)
    case = w.submit(title="路灯不亮", description="小区门口的路灯坏了好几天，晚上很黑")
    case.refresh_from_db()
    assert case.status == "triaged" and case.category.code == "utilities.streetlight"
    kinds = _events(case)
    assert [k for k, _a, _d in kinds] == ["submitted", "triaged"]
    _kind, actor, data = kinds[1]
    assert actor is None and data["auto"] is True and data["category"] == "utilities.streetlight"
    assert data["confidence"] >= 0.5 and data["model"] == 1
    assert case.event_count == 2
    assert CaseTriage.objects.get(case_id=case.pk).auto_applied is True


def test_below_the_threshold_the_dispatcher_chooses(w):
    _activate(w, auto_confidence=0.999)
    case = w.submit(title="路灯不亮", description="小区门口的路灯坏了")
    case.refresh_from_db()
    assert case.status == "submitted" and case.category_id is None and len(_events(case)) == 1
    row = CaseTriage.objects.get(case_id=case.pk)
    assert row.category == "utilities.streetlight" and not row.auto_applied
    assert row.data["top"][0][0] == "utilities.streetlight" and len(row.data["top"]) == 3
    # The dispatcher then triages as before (TRIAGED keeps working).
    cases.triage(case=case, actor=w.dispatcher, category=w.category)


def test_a_category_deactivated_after_an_auto_triage_is_no_longer_applied(w):
    """Auto-triage keeps the categories it applies per process; a catalogue edit drops them at once."""
    _activate(w, auto_confidence=0.5)
    first = w.submit(title="路灯不亮", description="小区门口的路灯坏了好几天，晚上很黑")
    first.refresh_from_db()
    assert first.status == "triaged" and first.category.code == "utilities.streetlight"
    applied = first.category
    applied.active = False
    applied.save(update_fields=["active"])
    second = w.submit(title="路灯不亮", description="3号楼后面的路灯坏了好几天，晚上很黑")
    second.refresh_from_db()
    assert second.status == "submitted" and second.category_id is None and len(_events(second)) == 1


def test_a_reporter_chosen_category_is_never_overridden(w):
    _activate(w, auto_confidence=0.0)
    case = w.submit(title="路灯不亮", category=w.category)
    case.refresh_from_db()
    assert case.status == "submitted" and case.category_id == w.category.pk and len(_events(case)) == 1


def test_a_suggested_category_missing_from_the_catalogue_is_left_alone(w):
    _activate(w, auto_confidence=0.0)
    case = w.submit(title="想申请低保，需要什么材料")  # errands.dibao is not in this catalogue
    case.refresh_from_db()
    assert case.status == "submitted" and len(_events(case)) == 1


def test_emergency_flags_at_once_with_deadline_and_notification(w):
    before = Notification.objects.filter(recipient=w.dispatcher).count()
    now = timeutil.now()
    case = w.submit(title="楼道里闻到一股臭鸡蛋味，越来越浓", at=now)
    assert case.urgency == "emergency"
    # No category yet: the built-in emergency deadline (30 minutes, around the clock) applies at once.
    assert case.response_due == now + timedelta(minutes=cases.DEFAULT_POLICIES["emergency"].response_minutes)
    assert cases.DEFAULT_POLICIES["emergency"].response_minutes == 30
    assert Notification.objects.filter(recipient=w.dispatcher, kind="case.emergency").count() == before + 1
    assert CaseTriage.objects.get(case_id=case.pk).data["reasons"] == ["gas or burning smell"]


def test_negated_emergency_stays_normal_and_quiet(w):
    case = w.submit(title="师傅来看过了，没有煤气味，是下水道的味道")
    assert case.urgency == "normal"
    assert not Notification.objects.filter(recipient=w.dispatcher, kind="case.emergency").exists()


def test_the_reporters_urgency_wins(w):
    case = w.submit(title="厨房有很浓的煤气味", urgency="urgent")
    assert case.urgency == "urgent"


def test_duplicates_of_open_cases_nearby_are_offered(w):
    _activate(w, auto_confidence=1.5)
    first = w.submit(title="东门垃圾桶满了好几天没人收")
    other = BuildingFactory(node=w.micro, jurisdiction=w.jurisdiction)
    second = w.submit(title="东门垃圾桶满了，好几天没人收垃圾", building=other)
    dups = CaseTriage.objects.get(case_id=second.pk).data["duplicates"]
    assert [d["case"] for d in dups] == [first.pk] and dups[0]["similarity"] > 0.6
    # A look-alike about something else is not offered.
    third = w.submit(title="东门有人乱倒装修垃圾")
    assert CaseTriage.objects.get(case_id=third.pk).data["duplicates"] == []
    # Once the first is closed (rejected here), it is no longer offered.
    cases.reject(case=first, actor=w.dispatcher, reason="测试")
    fourth = w.submit(title="东门垃圾桶满了没人收")
    assert [d["case"] for d in CaseTriage.objects.get(case_id=fourth.pk).data["duplicates"]] == [second.pk]


def test_duplicates_are_found_to_the_edge_of_the_distance_far_north(w):
    """At 53°N a degree of longitude is 67 km: a report 290 m due east is still within 300 m and offered; one 320 m
    due north is not."""
    _activate(w, auto_confidence=1.5, duplicate_distance_m=300)
    lat, lon = 52.97, 122.53  # Mohe
    here = BuildingFactory(node=w.micro, jurisdiction=w.jurisdiction, lat=lat, lon=lon)
    east = BuildingFactory(node=w.micro, jurisdiction=w.jurisdiction, lat=lat, lon=lon + 290 / 67_000)
    north = BuildingFactory(node=w.micro, jurisdiction=w.jurisdiction, lat=lat + 320 / 111_195, lon=lon)
    first = w.submit(title="东门垃圾桶满了好几天没人收", building=here)
    near = w.submit(title="东门垃圾桶满了，好几天没人收垃圾", building=east)
    dups = CaseTriage.objects.get(case_id=near.pk).data["duplicates"]
    assert [d["case"] for d in dups] == [first.pk] and 280 < dups[0]["distance_m"] < 300
    far = w.submit(title="东门垃圾桶满了，好几天都没人收垃圾", building=north)
    assert [d["case"] for d in CaseTriage.objects.get(case_id=far.pk).data["duplicates"]] == []


def test_duplicates_outside_the_time_window_are_not_offered(w):
    _activate(w, auto_confidence=1.5, duplicate_window_hours=1)
    now = timeutil.now()
    w.submit(title="东门垃圾桶满了好几天没人收", at=now - timedelta(hours=2))
    later = w.submit(title="东门垃圾桶满了，好几天没人收垃圾", at=now)
    assert CaseTriage.objects.get(case_id=later.pk).data["duplicates"] == []


def test_location_from_text_when_there_is_no_place(w):
    named = BuildingFactory(node=w.micro, jurisdiction=w.jurisdiction, name="阳光花园3栋", lat=30.01, lon=120.01)
    routing.refresh_places(
        jurisdiction_id=w.jurisdiction.pk,
        entries=[Place(named.name, "building", named.node_id, named.pk, named.lat, named.lon)],
    )
    case = cases.submit(
        jurisdiction=w.jurisdiction, channel="hotline", title="路灯不亮", description="阳光花园3号楼门口路灯坏了"
    )
    assert (case.building_id, case.grid_node_id, case.lat, case.lon) == (named.pk, w.micro.pk, 30.01, 120.01)
    assert case.owner_node_id == w.community.pk
    assert CaseTriage.objects.get(case_id=case.pk).data["place"]["name"] == "阳光花园3栋"


def test_versions_and_rollback(w):
    jid = w.jurisdiction.pk
    with pytest.raises(NotFound):
        routing.rollback(jurisdiction_id=jid)
    first = _activate(w)
    second = routing.store_model(jurisdiction_id=jid, model=demo_model(), source=Source.HISTORY)
    assert (first.version, second.version) == (1, 2)
    assert list(TriageModel.objects.filter(jurisdiction_id=jid, active=True).values_list("version", flat=True)) == [2]
    assert routing.active_model(jid)[0] == 2
    assert routing.rollback(jurisdiction_id=jid).version == 1
    assert routing.active_model(jid)[0] == 1
    with pytest.raises(DomainError, match="oldest"):
        routing.rollback(jurisdiction_id=jid)
    assert routing.rollback(jurisdiction_id=jid, to_version=2).version == 2
    with pytest.raises(NotFound):
        routing.rollback(jurisdiction_id=jid, to_version=9)
    assert TriageModel.objects.filter(jurisdiction_id=jid).count() == 2


def test_hot_issues_cluster_recent_similar_cases(w):
    _activate(w, auto_confidence=1.5)
    now = timeutil.now()
    ids = [
        w.submit(title=t, at=now - timedelta(hours=h)).pk
        for t, h in (("东门垃圾桶满了没人收", 5), ("东门垃圾桶满了好几天没人收", 3), ("东门的垃圾桶又满了没人收", 1))
    ]
    w.submit(title="楼道里有人飞线给电动车充电", at=now - timedelta(hours=2))
    found = routing.hot_issues(w.jurisdiction.pk, now - timedelta(days=1), now + timedelta(seconds=1))
    assert len(found) == 1
    issue = found[0]
    assert (issue.count, issue.case_ids, issue.node_id) == (3, sorted(ids), w.micro.pk)
    assert issue.label == "sanitation.uncollected" and issue.keywords[:3] == ["垃圾桶", "没人收", "东门"]
    assert issue.first_at == now - timedelta(hours=5) and issue.last_at == now - timedelta(hours=1)
    assert routing.hot_issues(w.jurisdiction.pk, now - timedelta(days=1), now, path_prefix=w.other_community.path) == []
    with pytest.raises(DomainError):
        routing.hot_issues(w.jurisdiction.pk, now, now)


def test_gongzhi_hot_issues_public_name():
    import gongzhi.routing

    assert gongzhi.routing.hot_issues is routing.hot_issues


def test_command_list_rollback_and_train_from_closed_cases(w, capsys):
    code = w.jurisdiction.code
    call_command("triage", "list", "--jurisdiction", code)
    assert "no triage model yet" in capsys.readouterr().out
    with pytest.raises(CommandError, match="at least 5"):
        call_command("triage", "train", "--jurisdiction", code, "--min-samples", "5")
    for title in ("楼道堆满杂物", "楼道里堆了纸箱", "楼道堆放自行车"):
        case = w.to_resolved(title=title)
        cases.rate(case=case, actor=None, score="satisfied", solved=True, verified_reporter=True)
    call_command("triage", "train", "--jurisdiction", code, "--min-samples", "3")
    assert "trained version 1 on 3 closed cases" in capsys.readouterr().out
    row = TriageModel.objects.get(jurisdiction_id=w.jurisdiction.pk, active=True)
    assert row.source == "history" and row.samples == 3
    _version, model = routing.active_model(w.jurisdiction.pk)
    assert model.heads["category"].labels == (w.category.code,)
    assert model.heads["level"].labels == ("micro_grid",)
    call_command("triage", "list", "--jurisdiction", code)
    assert "* v1" in capsys.readouterr().out
    with pytest.raises(CommandError, match="oldest"):
        call_command("triage", "rollback", "--jurisdiction", code)


def test_command_eval_on_a_labelled_csv(tmp_path, capsys):
    rows = ["title,body,label"]
    for i in range(6):
        rows += [f"路灯不亮{i},晚上很黑,light", f"楼上太吵{i},睡不着,noise"]
    data = tmp_path / "labelled.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    call_command("triage", "eval", "--data", str(data), "--folds", "3", "--json")
    out = capsys.readouterr().out
    assert "macro-F1: 1.0000" in out and "confusion" in out and out.strip().splitlines()[-1].startswith("{")
    call_command("triage", "eval", "--train", str(data), "--test", str(data))
    assert "accuracy: 1.0000" in capsys.readouterr().out
    with pytest.raises(CommandError, match="give --data"):
        call_command("triage", "eval")
    with pytest.raises(CommandError, match="no such file"):
        call_command("triage", "eval", "--data", str(tmp_path / "nope.csv"))


# ---------------------------------------------------------------------------------------------------- console


def test_queue_and_case_page_show_suggestions_duplicates_and_emergency(client, w):
    TriageSettings.objects.create(jurisdiction_id=w.jurisdiction.pk, auto_confidence=1.5)
    routing.store_model(jurisdiction_id=w.jurisdiction.pk, model=demo_model(), source=Source.DEMO)
    first = w.submit(title="东门垃圾桶满了好几天没人收")
    second = w.submit(title="东门垃圾桶满了，好几天没人收垃圾")
    gas = w.submit(title="楼道里闻到一股臭鸡蛋味")
    client.force_login(w.dispatcher)
    page = client.get(reverse("console:queue")).content.decode()
    assert 'id="triage-hints"' in page
    assert page.count('<div class="triage-hint') == 3
    assert "sanitation.uncollected" in page  # no catalogue name here: the code stands in for it
    assert f'href="{reverse("console:case", args=[first.pk])}" class="code">{first.tracking_code}</a>' in page
    assert f'data-case="{gas.pk}"' in page and "gas or burning smell" in page
    detail = client.get(reverse("console:case", args=[second.pk])).content.decode()
    assert 'id="triage"' in detail and first.tracking_code in detail
    assert "%" in detail


def test_no_triage_record_shows_no_panel(client, w):
    case = w.submit(title="楼道堆物")
    CaseTriage.objects.filter(case_id=case.pk).delete()
    client.force_login(w.dispatcher)
    assert 'id="triage-hints"' not in client.get(reverse("console:queue")).content.decode()
    assert 'id="triage"' not in client.get(reverse("console:case", args=[case.pk])).content.decode()


def test_a_damaged_model_leaves_triage_to_the_dispatcher_and_the_report_goes_through(w, caplog):
    model = _activate(w, auto_confidence=0.5)
    TriageModel.objects.filter(pk=model.pk).update(blob=b"not a model")
    routing.invalidate()
    case = w.submit(title="路灯不亮", description="小区门口的路灯坏了好几天，晚上很黑")
    assert case.status == "submitted" and case.category_id is None
    assert CaseTriage.objects.get(case_id=case.pk).category == ""
    assert "cannot be used" in caplog.text


@pytest.mark.parametrize("broken", ["predict", "duplicates", "urgency", "places"])
def test_a_failing_triage_computation_is_logged_and_the_report_goes_through(w, caplog, monkeypatch, broken):
    from gongzhi.routing import urgency

    _activate(w, auto_confidence=0.5)
    routing.invalidate()
    earlier = w.submit(title="路灯不亮", description="小区门口的路灯坏了好几天，晚上很黑")

    def fail(*args, **kwargs):
        raise RuntimeError("a bug in smart triage")

    target = {
        "predict": (classifier.Model, "predict"),
        "duplicates": (similarity, "duplicates"),
        "urgency": (urgency, "detect"),
        "places": (routing.place_names.Gazetteer, "find"),
    }[broken]
    monkeypatch.setattr(*target, fail)
    if broken == "places":  # only requests without a place look for one in the text
        case = cases.submit(jurisdiction=w.jurisdiction, channel="web", title="路灯不亮", description="门口的路灯坏了")
    else:
        case = w.submit(title="路灯不亮", description="小区门口的路灯坏了好几天，晚上很黑")
    assert case.pk != earlier.pk and case.status in ("submitted", "triaged")
    if broken == "predict":
        assert case.status == "submitted" and CaseTriage.objects.get(case_id=case.pk).category == ""
    assert CaseEvent.objects.filter(case=case, kind="submitted").count() == 1
    assert "smart triage: the" in caplog.text and "a bug in smart triage" in caplog.text
