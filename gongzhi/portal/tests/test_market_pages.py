"""Resident pages of the service market (issue 26): what's on this week near me, an event with its price split and
free rules, booking with the price shown before confirming, my bookings, one booking with its QR code, cancelling
(the first resident waiting takes the place and is told by SMS). Bad input is a clear 4xx and writes nothing;
another resident's booking is a 404; no page shows a phone number but the resident's own, masked."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import segno
from django.urls import reverse
from django.utils import timezone

from gongzhi.core import crypto, timeutil
from gongzhi.market import services
from gongzhi.market.models import Booking, BookingEvent, Slot
from gongzhi.market.tests.factories import first_slot, market_world, phone
from gongzhi.notifications.models import SmsMessage
from gongzhi.portal import phone_login

pytestmark = pytest.mark.django_db

HER = phone(68)  # 13900000068
HIM = phone(40)


@pytest.fixture
def mw(db):
    return market_world()


@pytest.fixture
def haircut(mw):
    event = mw.event(title="幸福市集", theme="理发义剪")
    return event, mw.offering(event, name="理发", per_slot=2)


def log_in(client, number: str):
    session = client.session
    session[phone_login.SESSION_KEY] = {
        "index": crypto.blind_index(number),
        "masked": f"{number[:3]}****{number[-4:]}",
        "number": crypto.encrypt(number),
    }
    session.save()
    return client


@pytest.fixture
def her(client):
    return log_in(client, HER)


@pytest.fixture
def him(client_factory):
    return log_in(client_factory(), HIM)


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


def point(name, lat, lon):
    return services.PlaceInput(kind="point", name=name, lat=lat, lon=lon)


def book_url(event, slot):
    return reverse("portal:market_book", args=[event.pk, slot.pk])


def confirm(client, event, slot, **data):
    return client.post(book_url(event, slot), {"action": "confirm", **data})


def unmasked(html: str, *numbers: str) -> list[str]:
    return [n for n in numbers if n in html]


# --------------------------------------------------------------------------------------------------- what's on


def test_whats_on_lists_the_week_by_day_for_anyone(client, mw, haircut):
    event, _ = haircut
    later = mw.event(title="列车进幸福里", day=timeutil.local_today() + timedelta(days=3), kind="mobile")
    mw.event(title="草稿不显示", publish=False)
    mw.event(title="下周的市集", day=timeutil.local_today() + timedelta(days=8))
    response = client.get(reverse("portal:market") + f"?j={mw.district.jurisdiction.code}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "幸福市集" in html and "列车进幸福里" in html and "理发义剪" in html
    assert "草稿不显示" not in html and "下周的市集" not in html
    assert [g.day for g in response.context["days"]] == [event.day, later.day]
    assert html.index("幸福市集") < html.index("列车进幸福里")
    assert 'id="market-points"' in html and "明天" in html  # the map's points and "tomorrow"
    nxt = client.get(reverse("portal:market") + "?week=next").content.decode()
    assert "下周的市集" in nxt and "幸福市集" not in nxt


def test_whats_on_sorts_by_distance_and_filters_by_community(client, mw):
    day = timeutil.local_today() + timedelta(days=2)
    far = mw.event(title="远处的市集", day=day, place=point("远", 30.05, 120.0))
    near = mw.event(title="近处的市集", day=day, place=point("近", 30.001, 120.0))
    other = mw.event(title="别的社区", day=day, node=mw.other_community, actor=mw.other_staff)
    rows = client.get(reverse("portal:market") + "?lat=30.0&lon=120.0").context["days"][0].rows
    assert [r["event"] for r in rows][:2] == [near, far] and rows[0]["minutes"] >= 1
    mine = client.get(reverse("portal:market") + f"?node={mw.community.pk}").context["days"][0].rows
    assert other not in [r["event"] for r in mine] and near in [r["event"] for r in mine]
    assert client.get(reverse("portal:market") + "?lat=abc&lon=1").status_code == 400
    assert client.get(reverse("portal:market") + "?node=999999").status_code == 400
    assert client.get(reverse("portal:market") + "?week=later").status_code == 400


def test_the_home_page_links_whats_on(client, mw):
    assert reverse("portal:market") in client.get(reverse("portal:home")).content.decode()


# ------------------------------------------------------------------------------------------------------- event


def test_the_event_shows_services_price_split_free_rule_and_slots(client, mw, haircut):
    event, offering = haircut
    mw.offering(event, name="磨刀", list_price="8.00", merchant_discount="0", community_subsidy="3.00")
    full = first_slot(offering)
    Slot.objects.filter(pk=full.pk).update(taken=2)
    response = client.get(reverse("portal:market_event", args=[event.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "理发" in html and "磨刀" in html and "社区广场" in html
    assert "¥20.00" in html and "−¥5.00" in html and "¥10.00" in html  # list, discount, what an ordinary resident pays
    assert "普通居民支付" in html
    assert "60岁及以上" in html and "低保" in html and "¥0.00" in html  # free for 60+ / 低保
    assert "已满，可排队候补" in html  # the full slot of the haircut
    assert book_url(event, full) in html  # … still bookable: onto the waiting list
    assert 'id="market-points"' in html


def test_a_missing_or_draft_event_is_not_found(client, mw):
    draft = mw.event(publish=False)
    assert client.get(reverse("portal:market_event", args=[draft.pk])).status_code == 404
    assert client.get(reverse("portal:market_event", args=[999999])).status_code == 404


# ----------------------------------------------------------------------------------------------------- booking


def test_booking_needs_the_phone_login(client, haircut):
    event, offering = haircut
    slot = first_slot(offering)
    response = client.get(book_url(event, slot))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login") + "?next=" + book_url(event, slot)
    refused = confirm(client, event, slot, age="68")
    assert refused.status_code == 403 and "登录" in refused.content.decode()
    assert Booking.objects.count() == 0


def test_the_quote_is_free_at_68_and_ordinary_at_40(her, haircut):
    event, offering = haircut
    slot = first_slot(offering)
    form = her.get(book_url(event, slot))
    assert form.status_code == 200 and 'name="age"' in form.content.decode() and "低保" in form.content.decode()
    old = her.post(book_url(event, slot), {"action": "quote", "age": "68"})
    assert old.status_code == 200 and old.context["price"].resident == 0
    html = old.content.decode()
    assert "您需支付" in html and "¥0.00" in html and 'value="confirm"' in html
    assert "¥15.00" in html  # the community covers all the merchant does not give
    young = her.post(book_url(event, slot), {"action": "quote", "age": "40"})
    assert young.context["price"].resident == 10
    poor = her.post(book_url(event, slot), {"action": "quote", "age": "40", "groups": ["低保"]})
    assert poor.context["price"].resident == 0
    assert Booking.objects.count() == 0  # a quote writes nothing


def test_confirming_books_once_with_the_split_and_shows_the_qr(her, haircut):
    event, offering = haircut
    slot = first_slot(offering)
    response = confirm(her, event, slot, age="68", name="王阿姨", quoted="0.00")
    booking = Booking.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse("portal:market_booking", args=[booking.code])
    assert (booking.status, booking.declared_age, booking.name, booking.phone) == ("confirmed", 68, "王阿姨", HER)
    assert (booking.list_price, booking.discount, booking.subsidy, booking.resident_pays) == (20, 5, 15, 0)
    page = her.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "qrline" in html
    assert " ".join([booking.code[:4], booking.code[4:8], booking.code[8:]]) in html
    assert "王阿姨" in html and "139****0068" in html and HER not in html
    # What the stall's scanner reads: GZM:<code>.
    qr = segno.make(services.qr_payload(booking.code), error="m", micro=False)
    assert qr.svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff") in html
    mine = her.get(reverse("portal:market_bookings")).content.decode()
    assert booking.code in mine and "理发" in mine and "¥0.00" in mine and HER not in mine
    event_page = her.get(reverse("portal:market_event", args=[event.pk])).content.decode()
    assert f'id="mine-{offering.pk}"' in event_page and "您已预约：09:00，已确认。" in event_page


def test_the_fast_confirm_without_a_quote_books_too(her, haircut):
    """What the benchmark posts: the form's fields with action=confirm and no quoted price."""
    event, offering = haircut
    response = confirm(her, event, first_slot(offering), age="40", groups=[])
    assert response.status_code == 303 and Booking.objects.get().resident_pays == 10


def test_a_changed_age_after_the_quote_asks_again(her, haircut):
    event, offering = haircut
    response = confirm(her, event, first_slot(offering), age="40", quoted="0.00")
    assert response.status_code == 409 and response.context["price"].resident == 10
    assert Booking.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"age": "abc"}, 400),
        ({"age": "200"}, 400),
        ({"age": "-1"}, 400),
        ({"age": "40", "name": "名" * 41}, 400),
    ],
)
def test_bad_age_or_name_writes_nothing(her, haircut, data, status):
    event, offering = haircut
    slot = first_slot(offering)
    for action in ("quote", "confirm"):
        response = her.post(book_url(event, slot), {"action": action, **data})
        assert response.status_code == status, action
        assert 'role="alert"' in response.content.decode()
    assert Booking.objects.count() == 0 and BookingEvent.objects.count() == 0


def test_an_unknown_action_or_group_is_refused(her, haircut):
    event, offering = haircut
    slot = first_slot(offering)
    assert her.post(book_url(event, slot), {"action": "steal", "age": "40"}).status_code == 400
    assert her.post(book_url(event, slot), {"action": "quote", "age": "40", "groups": ["贵宾"]}).status_code == 400
    assert Booking.objects.count() == 0


def test_a_past_slot_is_refused(her, mw):
    event = mw.event(day=timeutil.local_today(), starts=time(0, 0), ends=time(23, 59))
    offering = mw.offering(event, slot_minutes=60)
    past = first_slot(offering)
    assert past.starts <= timezone.now()
    assert her.get(book_url(event, past)).status_code == 400
    for action in ("quote", "confirm"):
        response = her.post(book_url(event, past), {"action": action, "age": "68"})
        assert response.status_code == 400 and "已开始或已结束" in response.content.decode()
    assert Booking.objects.count() == 0


def test_a_full_slot_without_waiting_list_is_refused(her, mw, haircut):
    event, _ = haircut
    offering = mw.offering(event, name="磨刀", per_slot=1, waiting_list=False)
    slot = first_slot(offering)
    Slot.objects.filter(pk=slot.pk).update(taken=1)
    assert her.get(book_url(event, slot)).status_code == 409
    response = confirm(her, event, slot, age="40")
    assert response.status_code == 409 and "已满" in response.content.decode()
    assert Booking.objects.count() == 0


def test_a_slot_of_another_event_is_not_found(her, mw, haircut):
    event, _ = haircut
    other = mw.event(title="另一场")
    slot = first_slot(mw.offering(other))
    assert her.get(book_url(event, slot)).status_code == 404
    assert confirm(her, event, slot, age="40").status_code == 404
    assert her.post(book_url(event, slot), {"action": "quote", "age": "40"}).status_code == 404
    assert Booking.objects.count() == 0


def test_double_booking_is_refused(her, haircut):
    event, offering = haircut
    slots = list(offering.slots.order_by("starts"))
    assert confirm(her, event, slots[0], age="68").status_code == 303
    again = confirm(her, event, slots[1], age="68")
    assert again.status_code == 409 and "已预约" in again.content.decode()
    page = her.get(book_url(event, slots[1]))
    assert page.status_code == 409 and 'id="held-booking"' in page.content.decode()
    assert Booking.objects.count() == 1


def test_a_full_slot_puts_her_on_the_waiting_list_with_her_position(her, mw, haircut):
    event, offering = haircut
    slot = first_slot(offering)
    for n in (1, 2, 3):
        services.book(event_id=event.pk, slot_id=slot.pk, resident=services.Resident(phone=phone(n), age=40))
    page = her.get(book_url(event, slot)).content.decode()
    assert "候补" in page
    response = confirm(her, event, slot, age="68")
    booking = Booking.objects.get(phone_index=crypto.blind_index(HER))
    assert response.status_code == 303 and booking.status == "waiting"
    html = her.get(response["Location"]).content.decode()
    assert "第 2 位" in html  # one waiting before her
    assert "第 2 位" in her.get(reverse("portal:market_bookings")).content.decode()


def test_cancelling_promotes_the_first_waiting_resident_with_an_sms(her, him, haircut):
    event, offering = haircut
    slot = first_slot(offering)
    confirm(her, event, slot, age="68")
    services.book(event_id=event.pk, slot_id=slot.pk, resident=services.Resident(phone=phone(1), age=40))
    confirm(him, event, slot, age="40")
    mine = Booking.objects.get(phone_index=crypto.blind_index(HER))
    his = Booking.objects.get(phone_index=crypto.blind_index(HIM))
    assert his.status == "waiting"
    response = her.post(reverse("portal:market_cancel", args=[mine.code]))
    assert response.status_code == 303
    mine.refresh_from_db()
    his.refresh_from_db()
    assert (mine.status, his.status) == ("cancelled", "confirmed")
    promoted = SmsMessage.objects.get(kind="market.promoted")
    assert (promoted.subject, promoted.phone) == (f"booking:{his.pk}", HIM)
    assert Slot.objects.get(pk=slot.pk).taken == 2
    page = her.get(response["Location"]).content.decode()
    assert "已取消" in page and "<svg" not in page
    again = her.post(reverse("portal:market_cancel", args=[mine.code]))
    assert again.status_code == 409 and "已不能取消" in again.content.decode()
    assert Booking.objects.get(pk=his.pk).status == "confirmed"


def test_cancelling_after_the_cut_off_is_refused_and_explained(her, mw):
    # A slot 60–90 minutes from now: tomorrow's early morning late in the evening, never past 23:30 (the day's last
    # slot must fit before the market day ends at 23:59).
    soon = timezone.localtime() + timedelta(minutes=90)
    if soon.time() > time(23, 30):
        soon = soon.replace(hour=23, minute=30)
    later = soon + timedelta(minutes=60)
    ends = later.time().replace(second=0, microsecond=0) if later.date() == soon.date() else time(23, 59)
    event = mw.event(day=soon.date(), starts=soon.time().replace(second=0, microsecond=0), ends=ends)
    offering = mw.offering(event, slot_minutes=5)
    slot = first_slot(offering)
    confirm(her, event, slot, age="68")
    booking = Booking.objects.get()
    page = her.get(reverse("portal:market_booking", args=[booking.code])).content.decode()
    assert 'id="too-late"' in page and 'id="cancel-form"' not in page
    response = her.post(reverse("portal:market_cancel", args=[booking.code]))
    assert response.status_code == 400 and "2 小时" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_another_resident_cannot_see_or_cancel_my_booking(her, him, client_factory, haircut):
    event, offering = haircut
    confirm(her, event, first_slot(offering), age="68", name="王阿姨")
    booking = Booking.objects.get()
    for url in (reverse("portal:market_booking", args=[booking.code]),):
        assert him.get(url).status_code == 404
    assert him.post(reverse("portal:market_cancel", args=[booking.code])).status_code == 404
    anonymous = client_factory()
    assert anonymous.post(reverse("portal:market_cancel", args=[booking.code])).status_code == 404
    assert anonymous.get(reverse("portal:market_booking", args=[booking.code])).status_code == 302
    assert booking.code not in him.get(reverse("portal:market_bookings")).content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed" and BookingEvent.objects.count() == 1


def test_no_page_shows_a_phone_number_or_another_residents_name(her, him, client_factory, mw, haircut):
    event, offering = haircut
    slot = first_slot(offering)
    confirm(her, event, slot, age="68", name="王阿姨")
    confirm(him, event, slot, age="40", name="李先生")
    mine = Booking.objects.get(phone_index=crypto.blind_index(HER))
    anonymous = client_factory()
    pages = [
        anonymous.get(reverse("portal:market")),
        anonymous.get(reverse("portal:market_event", args=[event.pk])),
        her.get(reverse("portal:market_event", args=[event.pk])),
        her.get(book_url(event, slot)),
        her.get(reverse("portal:market_bookings")),
        her.get(reverse("portal:market_booking", args=[mine.code])),
    ]
    for page in pages:
        html = page.content.decode()
        assert unmasked(html, HER, HIM) == [], page.request["PATH_INFO"]
        assert "李先生" not in html
        assert "139****0040" not in html


def test_the_pages_read_in_english(client, her, haircut):
    event, offering = haircut
    her.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = her.post(book_url(event, first_slot(offering)), {"action": "quote", "age": "68"}).content.decode()
    assert "You pay" in html and "Merchant discount" in html and "¥0.00" in html
    assert "What's on this week" in her.get(reverse("portal:market")).content.decode()
