"""代办 end to end through both interfaces: the handler of a light case asks a volunteer reported in to the community
on the console's case page; the volunteer accepts and reports it done on 我的代办; the case's timeline has both events,
the handler is notified and resolves the case as always. Refusals are 4xx pages and write nothing; a volunteer never
sees the reporter's name or phone, nor another volunteer's errand."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.core import crypto
from gongzhi.notifications.models import Notification, SmsMessage
from gongzhi.portal.tests.test_people_pages import as_phone
from gongzhi.volunteers import services as people_services
from gongzhi.volunteers.models import Errand

pytestmark = pytest.mark.django_db

ME = "13500000011"
OTHER = "13500000012"
REPORTER_PHONE = "13700001234"


def volunteer(w, phone, name, *, approved=True):
    found = people_services.register_volunteer(jurisdiction_id=w.jurisdiction.pk, name=name, phone=phone)
    entry = people_services.report_in(volunteer=found, community=w.community)
    if approved:
        people_services.decide_report_in(report_in=entry, actor=w.dispatcher, approved=True)
    return found


@pytest.fixture
def light(w):
    w.category.errand = True
    w.category.save(update_fields=["errand"])
    return w


def accepted(w):
    return w.to_accepted(reporter_name="王秀英", reporter_phone=REPORTER_PHONE, title="帮独居老人买降压药")


def staff(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def written():
    return (
        list(Errand.objects.values_list("pk", "status", "result")),
        list(CaseEvent.objects.order_by("pk").values_list("pk", "kind")),
        list(SmsMessage.objects.filter(kind="volunteers.errand_offered").values_list("pk", flat=True)),
    )


def act(client, errand_id, action, **data):
    return client.post(reverse("portal:people_errand_act", args=[str(errand_id), action]), data)


def test_staff_gives_the_errand_the_volunteer_runs_it_and_the_handler_resolves(light):
    w = light
    me = volunteer(w, ME, "张志愿")
    volunteer(w, OTHER, "李志愿")
    volunteer(w, "13500000013", "赵待审", approved=False)
    case = accepted(w)
    handler = staff(w.steward)
    page = handler.get(reverse("console:case", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="errand-form"' in html and "张**" in html and "李**" in html and "赵**" not in html

    given = handler.post(reverse("console:case_errand", args=[case.pk]), {"volunteer": me.pk, "note": "买两盒降压药"})
    assert given.status_code == 302
    errand = Errand.objects.get()
    assert (errand.volunteer, errand.status, errand.case_id, errand.given_by) == (me, "offered", case.pk, w.steward)
    assert errand.summary == "楼道堆物 · 幸福里小区 3号楼"
    event = CaseEvent.objects.get(case=case, kind="errand_given")
    assert event.data == {"volunteer": me.pk, "label": "张**"}
    assert "张**" in handler.get(reverse("console:case", args=[case.pk])).content.decode()
    # The volunteer hears by text message: what and where, never the resident.
    sms = SmsMessage.objects.get(kind="volunteers.errand_offered")
    assert sms.phone_index == crypto.blind_index(ME) and errand.summary in sms.body
    assert REPORTER_PHONE not in sms.body and "王秀英" not in sms.body

    mine = as_phone(ME)
    page = mine.get(reverse("portal:people_errands"))
    assert page.status_code == 200
    html = page.content.decode()
    assert errand.summary in html and "买两盒降压药" in html and "13900001111" in html  # the handler's public phone
    assert REPORTER_PHONE not in html and "王秀英" not in html and "帮独居老人买降压药" not in html

    # Another volunteer cannot touch it: the same 404 as no errand, nothing changed.
    other = as_phone(OTHER)
    before = written()
    for action in ("accept", "decline", "done"):
        assert act(other, errand.pk, action, result="做完了").status_code == 404
    assert written() == before
    assert errand.summary not in other.get(reverse("portal:people_errands")).content.decode()

    assert act(mine, errand.pk, "accept").status_code == 303
    assert act(mine, errand.pk, "accept").status_code == 409
    before = written()
    assert act(mine, errand.pk, "done", result="").status_code == 400
    assert act(mine, errand.pk, "done", result="x" * 1001).status_code == 400
    assert written() == before
    done = act(mine, errand.pk, "done", result="药已送到老人家中")
    assert done.status_code == 303 and done["Location"].endswith("?done=done")
    errand.refresh_from_db()
    assert (errand.status, errand.result) == ("done", "药已送到老人家中")
    kinds = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("kind", flat=True))
    assert kinds[-2:] == ["errand_given", "errand_done"]
    heard = Notification.objects.get(kind="case.errand_done")
    assert heard.recipient == w.steward and heard.url == reverse("console:case", args=[case.pk])

    # The resident's tracking page names the volunteer masked, never in full.
    track = Client().get(reverse("portal:track", args=[case.tracking_code])).content.decode()
    assert "张**" in track and "张志愿" not in track

    resolved = handler.post(reverse("console:case_action", args=[case.pk, "resolve"]), {"result": "已代买药品送达"})
    assert resolved.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "resolved"


def test_a_category_that_is_not_light_offers_no_form_and_refuses(w):
    me = volunteer(w, ME, "张志愿")
    case = accepted(w)
    handler = staff(w.steward)
    assert 'id="errand-form"' not in handler.get(reverse("console:case", args=[case.pk])).content.decode()
    before = written()
    refused = handler.post(reverse("console:case_errand", args=[case.pk]), {"volunteer": me.pk})
    assert refused.status_code == 400
    assert "not a light one" in refused.content.decode() or "代办" in refused.content.decode()
    assert written() == before


def test_a_volunteer_not_reported_in_and_someone_not_handling_it_are_refused(light):
    w = light
    pending = volunteer(w, ME, "赵待审", approved=False)
    ok = volunteer(w, OTHER, "李志愿")
    case = accepted(w)
    before = written()
    handler = staff(w.steward)
    assert handler.post(reverse("console:case_errand", args=[case.pk]), {"volunteer": pending.pk}).status_code == 400
    assert handler.post(reverse("console:case_errand", args=[case.pk]), {"volunteer": "x"}).status_code == 400
    assert (
        handler.post(
            reverse("console:case_errand", args=[case.pk]), {"volunteer": ok.pk, "note": "好" * 501}
        ).status_code
        == 400
    )
    # The other steward of the micro-grid sees the case but does not handle it.
    other_steward = staff(w.steward2)
    assert 'id="errand-form"' not in other_steward.get(reverse("console:case", args=[case.pk])).content.decode()
    assert other_steward.post(reverse("console:case_errand", args=[case.pk]), {"volunteer": ok.pk}).status_code == 403
    # Staff of another community do not even see the case.
    assert (
        staff(w.other_dispatcher).post(reverse("console:case_errand", args=[case.pk]), {"volunteer": ok.pk}).status_code
        == 404
    )
    assert written() == before


def test_forged_ids_and_actions_are_404_and_a_volunteer_needs_the_phone_login(light):
    w = light
    me = volunteer(w, ME, "张志愿")
    case = accepted(w)
    case_services.give_errand(case=case, actor=w.steward, volunteer_ref=me.pk, volunteer_label="张**")
    errand = people_services.offer_errand(
        volunteer=me, community=w.community, case_id=case.pk, tracking_code=case.tracking_code,
        summary="楼道堆物 · 3号楼", actor=w.steward,
    )  # fmt: skip
    mine = as_phone(ME)
    before = written()
    for errand_id, action in (
        ("abc", "accept"),
        ("99999999999999999999", "accept"),
        (str(errand.pk + 1000), "accept"),
        (str(errand.pk), "fly"),
    ):
        assert act(mine, errand_id, action).status_code == 404, (errand_id, action)
    assert act(Client(), errand.pk, "accept").status_code == 403
    assert Client().get(reverse("portal:people_errands")).status_code == 302
    handler = staff(w.steward)
    url = reverse("console:case_errand_withdraw", args=[case.pk, "99999999999999999999"])
    assert handler.post(url).status_code == 404
    assert written() == before
    assert mine.get(reverse("portal:people_errand_act", args=[str(errand.pk), "accept"])).status_code == 405
    # Withdrawn by staff, then the volunteer can no longer accept it.
    withdraw = reverse("console:case_errand_withdraw", args=[case.pk, str(errand.pk)])
    assert handler.post(withdraw).status_code == 302
    assert act(mine, errand.pk, "accept").status_code == 409
    assert Errand.objects.get(pk=errand.pk).status == "withdrawn"


def test_the_time_an_errand_took_is_submitted_as_hours_for_approval(light):
    from decimal import Decimal

    from gongzhi.core import timeutil
    from gongzhi.volunteers.models import Hours

    w = light
    me = volunteer(w, ME, "张志愿")
    case = accepted(w)
    staff(w.steward).post(reverse("console:case_errand", args=[case.pk]), {"volunteer": me.pk})
    errand = Errand.objects.get()
    mine = as_phone(ME)
    assert act(mine, errand.pk, "accept").status_code == 303
    assert 'name="hours"' in mine.get(reverse("portal:people_errands")).content.decode()
    before = (written(), list(Hours.objects.values_list("pk", flat=True)))
    for bad in ("0", "25", "abc", "-1", "1.555"):
        assert act(mine, errand.pk, "done", result="药已送到", hours=bad).status_code == 400, bad
    assert (written(), list(Hours.objects.values_list("pk", flat=True))) == before
    assert Errand.objects.get(pk=errand.pk).status == "accepted"

    assert act(mine, errand.pk, "done", result="药已送到", hours="1.5").status_code == 303
    hours = Hours.objects.get()
    assert (hours.volunteer, hours.community, hours.hours, hours.status, hours.activity) == (
        me, w.community, Decimal("1.50"), "submitted", None
    )  # fmt: skip
    assert hours.day == timeutil.local_today() and hours.description == f"代办 {case.tracking_code}: {errand.summary}"
    # Staff approve them like any other hours; without hours, finishing submits none (the test above).
    people_services.decide_hours(hours=hours, actor=w.dispatcher, approved=True)
    assert Hours.objects.get().status == "approved"
