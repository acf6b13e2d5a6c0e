"""Issue 23's must-show: the demo district after a few weeks of activity through the real services, with personal data
planted in residents' reports and in staff results — phones in five spellings, ID numbers, names after 我叫/联系人/
名字/姓名, a flat, a raw GPS fix — some of those cases published (one with a summary staff confirmed as it stood),
closed and published, refused, private. Then a stranger crawls every public page and API answer: the resident pages
(home, board pages, public maps and their data, published results, tracking pages opened by code, service points,
figures) and Open311 (discovery, services, request lists, every request and token, updates; JSON and XML). None of
the planted data appears unmasked anywhere, and no tracking code appears on any public list (a tracking page shows
only its own)."""

from __future__ import annotations

import html
import json
import re
from collections import deque
from datetime import date, time, timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from gongzhi.care import idcard
from gongzhi.cases import catalogue, services
from gongzhi.cases.models import Case, CaseCategory
from gongzhi.core.testing.database import refresh_statistics
from gongzhi.grid import demo, roles
from gongzhi.grid.models import Building, GridNode, StaffPost
from gongzhi.ops.simulate import Simulation

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Five phone numbers, each in one of the spellings people use to get past a filter, and the digits behind them.
PHONES = {
    "139.1111.2222": "13911112222",
    "13722 223333": "13722223333",
    "1 3 6 3 3 3 4 4 4 4 5": "13633344445",
    "１３５４４４５５５５６": "13544455556",
    "158/5555/6666": "15855556666",
}
IDS = {"110101 19850315 4321": "110101198503154321", "32010219900101123X": "32010219900101123X"}
# The care registry refuses an ID number whose check character is wrong: one valid (and unreal: region 990101).
CARE_ID = idcard.make("990101", date(1941, 3, 15), 37)
IDS[CARE_ID] = CARE_ID
NAMES = ("赵铁柱", "钱多多", "孙小美", "吴晓燕", "郑大海")
FLAT = "5单元1203室"
CODE = re.compile(r"(?<![0-9A-Z])[0-9]{4}[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}(?![0-9A-Z])")
SEPARATORS = re.compile(r"[\s.\-/_()（）．－／\u3000]")
FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def _digits_stream(text: str) -> str:
    return SEPARATORS.sub("", text.translate(FULL_WIDTH))


def _leaks(body: str, *, gps: tuple[str, str]) -> list[str]:
    """What of the planted personal data ``body`` shows unmasked."""
    try:  # JSON answers may escape Chinese (\u4e00): read them as the text they carry
        text = json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        text = html.unescape(body)
    stream = _digits_stream(text)
    found = [f"phone {digits}" for digits in PHONES.values() if digits[3:] in stream]
    found += [f"ID {number}" for number in IDS.values() if number[:14] in stream]
    found += [f"name {name}" for name in NAMES if name in text]
    found += ["the flat"] if FLAT in text or "1203室" in text else []
    found += [f"GPS {value}" for value in gps if value in text]
    return found


@pytest.fixture
def district():
    jurisdiction = demo.build_demo(password="demo-pass-123").jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    return jurisdiction


def _staff(jurisdiction, node, capability):
    for post in StaffPost.objects.filter(jurisdiction=jurisdiction, node=node, active=True).select_related("user"):
        if roles.can(post.role, capability):
            return post.user
    raise AssertionError(f"nobody at {node} may {capability}")


def _handle(case, jurisdiction, *, result, category):
    """Triage, dispatch to the owner's dispatcher, accept and resolve — through the services."""
    case.refresh_from_db()
    dispatcher = _staff(jurisdiction, case.owner_node, roles.CASE_DISPATCH)
    services.triage(case=case, actor=dispatcher, category=category)
    case.refresh_from_db()
    dispatcher = _staff(jurisdiction, case.owner_node, roles.CASE_DISPATCH)
    services.dispatch(case=case, actor=dispatcher, user=dispatcher)
    services.accept(case=case, actor=dispatcher)
    services.resolve(case=case, actor=dispatcher, result=result)
    case.refresh_from_db()
    return case, dispatcher


def _plant(jurisdiction) -> dict:
    """Cases carrying personal data, in every state the public might see."""
    buildings = list(Building.objects.filter(jurisdiction=jurisdiction, lat__isnull=False).order_by("pk")[:6])
    public_category = CaseCategory.objects.get(jurisdiction=jurisdiction, code="sanitation.compound")
    private_category = CaseCategory.objects.filter(jurisdiction=jurisdiction, private=True, children__isnull=True)[0]
    phone = list(PHONES)
    ids = list(IDS)
    planted: dict = {"cases": []}

    # 1. A resident reports from the QR code on their building (the portal form), with name, phone and flat.
    resident = Client()
    response = resident.post(
        f"/r/b/{buildings[0].public_token}/",
        {
            "description": f"我叫{NAMES[0]}，电话{phone[0]}，住{FLAT}，楼道灯坏了一周",
            "address": FLAT,
            "phone": "13911112222",
            "name": NAMES[0],
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    qr_case = Case.objects.latest("pk")
    # 2. A report placed by the phone's GPS, with a contact after 联系人 and an ID number.
    lat, lon = buildings[1].lat + 0.0001234, buildings[1].lon + 0.0001234
    gps = (f"{lat:.6f}", f"{lon:.6f}")
    response = Client().post(
        f"/r/report/?j={jurisdiction.code}",
        {
            "description": f"路灯不亮。联系人{NAMES[1]} {phone[1]}，身份证 {ids[0]}",
            "lat": f"{lat:.7f}",
            "lon": f"{lon:.7f}",
            "address": FLAT,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    gps_case = Case.objects.latest("pk")
    assert gps_case.lat is not None
    # 3. Hotline and walk-in cases with names after 名字/姓名 and every other spelling.
    hotline = services.submit(
        jurisdiction=jurisdiction,
        channel="hotline",
        title=f"名字{NAMES[2]}，电话 {phone[2]}",
        description=f"名字{NAMES[2]}，电话 {phone[2]}，身份证{ids[1]}，{FLAT}门口堆物",
        building=buildings[2],
        reporter_name=NAMES[2],
        reporter_phone="13633344445",
    )
    walk_in = services.submit(
        jurisdiction=jurisdiction,
        channel="walk_in",
        title=f"姓名：{NAMES[3]} 电话{phone[3]}",
        description=f"姓名：{NAMES[3]} 电话{phone[3]}，{NAMES[4]}家漏水到{FLAT}",
        building=buildings[3],
        reporter_name=NAMES[3],
    )
    private_case = services.submit(
        jurisdiction=jurisdiction,
        channel="walk_in",
        title=f"邻里纠纷 {NAMES[4]} {phone[4]}",
        description=f"我叫{NAMES[4]}，电话{phone[4]}",
        building=buildings[4],
    )
    results = {
        qr_case.pk: f"已联系户主{NAMES[0]}（{phone[4]}），{FLAT}楼道灯已更换，身份证 {ids[0]} 已登记",
        gps_case.pk: f"路灯已修复，联系人{NAMES[1]}，电话 {phone[1]}",
        hotline.pk: f"已清理，联系人{NAMES[2]}（{phone[2]}）确认",
        walk_in.pk: f"已维修，姓名：{NAMES[3]}，电话{phone[3]}，身份证{ids[1]}",
        private_case.pk: f"已调解，{NAMES[4]}同意，电话{phone[4]}",
    }
    handled = {}
    for case in (qr_case, gps_case, hotline, walk_in, private_case):
        category = private_category if case.pk == private_case.pk else public_category
        handled[case.pk] = _handle(case, jurisdiction, result=results[case.pk], category=category)
    # Published three ways: the prefilled summary unreviewed (masked by the service), a summary staff confirmed as
    # it stood (names and phones in it: the board masks them), and — after a 满意 rating closed it — a closed case.
    case, dispatcher = handled[qr_case.pk]
    services.publish(case=case, actor=dispatcher)
    case, dispatcher = handled[gps_case.pk]
    services.publish(case=case, actor=dispatcher, summary=f"路灯已修复。联系人{NAMES[1]} {phone[1]}")
    case, dispatcher = handled[hotline.pk]
    services.rate(case=case, actor=None, score="satisfied", solved=True, verified_reporter=True)
    services.publish(case=case, actor=dispatcher, summary=f"楼道已清理。名字{NAMES[2]}，电话{phone[2]}")
    # The walk-in one stays resolved and unpublished; the private one is refused publication.
    case, dispatcher = handled[private_case.pk]
    with pytest.raises(Exception, match="private category"):
        services.publish(case=case, actor=dispatcher)
    # 4. The market: a resident books on her phone with her name, staff book for a neighbour without one; another
    # resident waits for the place. Their names and numbers must show on no public market page.
    from gongzhi.market import services as market

    community = GridNode.objects.filter(jurisdiction=jurisdiction, level="community").order_by("path").first()
    planner = _staff(jurisdiction, community, roles.MARKET_MANAGE)
    market.install_rules(jurisdiction)
    event = market.create_event(
        actor=planner,
        node=community,
        title="幸福市集",
        day=timezone.localdate() + timedelta(days=1),
        starts=time(9),
        ends=time(10),
        place=market.PlaceInput(kind="point", name="社区广场", lat=buildings[0].lat, lon=buildings[0].lon),
        publish=True,
    )
    offering = market.add_offering(
        actor=planner, event=event, data=market.OfferingInput(name="理发", list_price="20", per_slot=1)
    )[0]
    slot = offering.slots.order_by("starts").first()
    market.book(event_id=event.pk, slot_id=slot.pk, resident=market.Resident(phone=phone[0], name=NAMES[0], age=68))
    market.book(event_id=event.pk, slot_id=slot.pk, resident=market.Resident(phone=phone[1], name=NAMES[1], age=40))
    market.book(event_id=event.pk, slot_id=slot.pk, resident=market.Resident(name=NAMES[2], age=80), actor=planner)
    planted["market"] = event
    # 5. The care registry: an elderly resident living alone and her neighbour, with names, ID number and phones; a
    # visit finds a leak at hers (a case is filed for her, channel visit) and she needs 低保 (a help-kind case).
    from gongzhi.care import services as care
    from gongzhi.care.choices import LinkKind, Outcome

    keeper = _staff(jurisdiction, community, roles.CARE_MANAGE)
    care.install_defaults(jurisdiction=jurisdiction)
    home = Building.objects.filter(jurisdiction=jurisdiction, node__path__startswith=community.path).first()
    household = care.create_household(
        building=home, code="CRAWL-1", room=FLAT, contact_phone=PHONES[phone[4]], actor=keeper
    )
    elder = care.add_resident(
        household=household,
        person=care.Person(name=NAMES[3], id_number=CARE_ID, phone=PHONES[phone[3]], relation="head"),
        level="red",
        level_reason=f"{NAMES[3]}独居，行动不便",
        actor=keeper,
    )
    visit = care.record_visit(
        resident=elder, visitor=keeper, outcome=Outcome.PROBLEM, findings=f"{NAMES[3]}家厨房水管漏水，电话{phone[3]}"
    )
    leak = services.submit(
        jurisdiction=jurisdiction,
        channel="visit",
        title="走访发现厨房水管漏水",
        description=visit.findings,
        building=home,
        recorded_by=keeper,
    )
    care.link_case(
        resident=elder,
        case_id=leak.pk,
        tracking_code=leak.tracking_code,
        kind=LinkKind.PROBLEM,
        visit=visit,
        actor=keeper,
    )
    help_category = CaseCategory.objects.filter(jurisdiction=jurisdiction, kind="help", children__isnull=True).first()
    application = services.submit(
        jurisdiction=jurisdiction,
        channel="visit",
        category=help_category,
        title="低保申请",
        description=f"{NAMES[3]}，身份证{CARE_ID}，申请低保",
        building=home,
        recorded_by=keeper,
    )
    care.link_case(
        resident=elder,
        case_id=application.pk,
        tracking_code=application.tracking_code,
        kind=LinkKind.HELP,
        assistance="subsistence",
        actor=keeper,
    )
    planted["cases"] = [qr_case, gps_case, hotline, walk_in, private_case, leak, application]
    planted["gps"] = gps
    return planted


def _get(client: Client, url: str, seen: dict[str, str]) -> str:
    response = client.get(url)
    if response.status_code == 302 and response["Location"].startswith("/r/login/"):
        # Behind the phone login (propose a topic, become a volunteer …): a stranger is sent there and sees nothing.
        seen[url] = ""
        return ""
    assert response.status_code in (200, 404), (url, response.status_code)
    body = response.content.decode()
    seen[url] = body
    return body


def _portal_links(body: str) -> set[str]:
    links = set()
    for href in re.findall(r'href="([^"#]+)"', body):
        href = html.unescape(href)
        path = urlsplit(href).path
        if not path.startswith("/r/"):
            continue
        if any(path.startswith(p) for p in ("/r/report", "/r/b/", "/r/login", "/r/mine", "/r/posters", "/r/display")):
            continue
        # A resident's own market bookings and the booking form: behind the phone login (a stranger is sent there).
        if path.startswith("/r/market/bookings") or re.fullmatch(r"/r/market/\d+/book/\d+/", path):
            continue
        if path.endswith(".jpg"):
            continue
        links.add(href)
    return links


def test_no_public_page_or_answer_shows_planted_personal_data_or_a_tracking_code(district, settings):
    settings.GONGZHI_TRACK_RATE_LIMIT = (10_000, 600)
    settings.GONGZHI_TRACK_ADDRESS_RATE_LIMIT = (10_000, 600)
    sim = Simulation(district, months=1, seed=23)
    sim.end = sim.start + timedelta(days=14)
    sim.run()
    planted = _plant(district)
    call_command("analytics", "catch-up", verbosity=0)
    refresh_statistics()
    codes = set(Case.objects.values_list("tracking_code", flat=True))
    published = Case.objects.filter(public=True).count()
    assert len(codes) > 300 and published > 50

    stranger = Client()
    seen: dict[str, str] = {}
    # The resident pages, by following every public link from the home page (board pages, maps, results …).
    queue = deque(["/r/", "/r/board/", "/r/board/map/", "/r/points/", "/r/figures/", "/r/t/"])
    queue += [f"/r/board/{n.pk}/map/" for n in GridNode.objects.filter(jurisdiction=district, level="community")]
    while queue and len(seen) < 2000:
        url = queue.popleft()
        if url in seen:
            continue
        body = _get(stranger, url, seen)
        queue.extend(link for link in _portal_links(body) if link not in seen)
    for node in GridNode.objects.filter(jurisdiction=district, level="community"):
        _get(stranger, f"/r/board/{node.pk}/cases.geojson", seen)
    _get(stranger, f"/r/board/map/cases.geojson?j={district.code}", seen)
    _get(stranger, f"/r/map/{district.pk}/areas.geojson", seen)
    board_pages = [u for u in seen if re.fullmatch(r"/r/board/\d+/(\?after=.*)?", u)]
    assert any("after=" in u for u in board_pages), "the board's later pages were crawled"
    assert sum(1 for u in seen if u.startswith("/r/p/")) >= published * 0.9
    assert f"/r/market/{planted['market'].pk}/" in seen, "the market's public pages were crawled"
    lists = dict(seen)  # everything so far is a public list or a public page: no tracking code at all

    # Tracking pages opened by a stranger who holds the code: the planted cases and a sample of the others.
    tracked = {c.tracking_code for c in planted["cases"]} | set(sorted(codes)[:40])
    for code in tracked:
        body = _get(Client(), f"/r/t/{code}/", seen)
        assert CODE.findall(body) and set(CODE.findall(body)) & codes <= {code}, code

    # Open311, JSON and XML: discovery, services, every list page, every request and token, the updates.
    base = "/open311/v2/"
    for fmt in ("json", "xml"):
        _get(stranger, f"{base}discovery.{fmt}", seen)
        _get(stranger, f"{base}services.{fmt}", seen)
        for kind in ("requests", "servicerequestupdates"):
            page = 1
            while True:
                url = f"{base}{kind}.{fmt}?start_date=2000-01-01T00:00:00Z&page={page}&page_size=500"
                response = stranger.get(url)
                assert response.status_code == 200, url
                seen[url] = lists[url] = response.content.decode()
                if 'rel="next"' not in response.get("Link", ""):
                    break
                page += 1
    ids = set()
    for url, body in seen.items():
        if url.startswith(f"{base}requests.json"):
            ids |= set(re.findall(r'"service_request_id":"([a-z0-9]+)"', body))
    assert len(ids) > 200
    for public_id in sorted(ids):
        for fmt in ("json", "xml"):
            lists[f"{base}requests/{public_id}.{fmt}"] = _get(stranger, f"{base}requests/{public_id}.{fmt}", seen)
        lists[f"{base}tokens/{public_id}.json"] = _get(stranger, f"{base}tokens/{public_id}.json", seen)
    for case in planted["cases"]:  # the private one, by id, shows its status only
        lists[f"{base}requests/{case.public_id}.xml"] = _get(stranger, f"{base}requests/{case.public_id}.xml", seen)

    leaks = {url: found for url, body in seen.items() if (found := _leaks(body, gps=planted["gps"]))}
    assert leaks == {}
    codes_on_lists = {url: sorted(set(CODE.findall(body)) & codes) for url, body in lists.items()}
    assert {url: found for url, found in codes_on_lists.items() if found} == {}
    # The crawl covered what it claims.
    assert len(seen) > 400, len(seen)
    print(f"crawled {len(seen)} public pages and answers; {published} published cases; {len(ids)} Open311 ids")
