"""The subsidy ledger (补贴台账) on the console (issue 26): per event and per month, per service and provider, with
totals equal to the bookings served; the Excel file with the accountant's Chinese headings, opened back with openpyxl;
the PDF summary, opened back with pypdf; scoped like every market page."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from gongzhi.console import market_exports
from gongzhi.core import timeutil
from gongzhi.market import services
from gongzhi.market.models import Booking, Event
from gongzhi.market.tests.factories import MarketWorld, market_world, phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> MarketWorld:
    return market_world()


def _login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _served_day(w: MarketWorld) -> Event:
    """A market today with two services: a haircut (20 − 5 − 5) and knife sharpening (10, 20 % off, 2 subsidy);
    five residents booked, four served (two of them 60+, one 低保), one not come."""
    event = w.event()
    haircut = w.offering(event, per_slot=5)
    knives = w.offering(
        event,
        name="磨刀",
        provider="老李磨刀",
        list_price="10.00",
        merchant_discount="0",
        discount_percent="20",
        community_subsidy="2.00",
        per_slot=5,
    )
    plan = [
        (haircut, 1, 68, ()),
        (haircut, 2, 35, ()),
        (haircut, 3, 45, ("低保",)),
        (knives, 4, 72, ()),
        (knives, 5, 30, ()),
    ]
    codes = []
    for offering, n, age, groups in plan:
        slot = offering.slots.order_by("starts").first()
        booking = services.book(
            event_id=event.pk, slot_id=slot.pk, resident=services.Resident(phone=phone(n), age=age, groups=groups)
        )
        codes.append(booking.code)
    Event.objects.filter(pk=event.pk).update(day=timeutil.local_today())
    for code in codes[:4]:
        services.check_in(actor=w.staff, code=code)
    return event


def _sums() -> dict[str, Decimal | int]:
    served = Booking.objects.filter(status="served")
    return {
        "served": served.count(),
        "list": sum((b.list_price for b in served), Decimal("0")),
        "discount": sum((b.discount for b in served), Decimal("0")),
        "subsidy": sum((b.subsidy for b in served), Decimal("0")),
        "paid": sum((b.resident_pays for b in served), Decimal("0")),
    }


def test_the_ledger_page_per_event_and_per_month(client, w):
    event = _served_day(w)
    c = _login(client, w.staff)
    html = c.get(reverse("console:market_event_ledger", args=[event.pk])).content.decode()
    assert "阿芳理发店" in html and "老李磨刀" in html
    total = html.split('id="ledger-total"')[1].split("</tr>")[0]
    # served 4, free 3 (68, 低保, 72); list 20×3 + 10 = 70; discount 5×3 + 2 = 17; subsidy 15+5+15+8 = 43; paid 10
    assert '<td class="num">4</td><td class="num">3</td><td class="num">70.00</td>' in total
    assert (
        '<td class="num">17.00</td><td class="num" data-total="subsidy">43.00</td><td class="num">10.00</td>' in total
    )
    month = timeutil.local_today().strftime("%Y-%m")
    html = c.get(reverse("console:market_ledger"), {"month": month, "node": w.community.pk}).content.decode()
    assert 'data-total="subsidy">43.00<' in html
    html = c.get(reverse("console:market_ledger"), {"month": "2001-01"}).content.decode()
    assert "Nobody was served in this period." in html
    assert c.get(reverse("console:market_ledger"), {"month": "2026-13"}).status_code == 400
    assert c.get(reverse("console:market_ledger"), {"month": "soon"}).status_code == 400
    assert c.get(reverse("console:market_ledger"), {"node": w.other_community.pk}).status_code == 404
    assert _login(client, w.other_staff).get(reverse("console:market_event_ledger", args=[event.pk])).status_code == 404
    html = _login(client, w.staff).get(reverse("console:market_ledger"), {"month": month}).content.decode()
    assert 'data-total="subsidy">43.00<' in html  # all communities in scope
    html = _login(client, w.other_staff).get(reverse("console:market_ledger"), {"month": month}).content.decode()
    assert 'data-total="subsidy">0.00<' in html  # the other community's staff see none of it


def test_the_excel_file_has_the_accountants_headings_and_totals_that_add_up(client, w):
    event = _served_day(w)
    c = _login(client, w.staff)
    response = c.get(reverse("console:market_event_ledger_xlsx", args=[event.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;") and ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0].startswith("补贴台账") and w.community.name in rows[0][0] and event.title in rows[0][0]
    header = rows[2]
    assert (
        tuple(header)
        == market_exports.HEADINGS
        == (
            "序号",
            "服务项目",
            "服务商家",
            "服务人次",
            "其中免费人次",
            "标价合计(元)",
            "商家让利(元)",
            "社区补贴(元)",
            "居民自付(元)",
        )
    )
    body = rows[3:-1]
    total = rows[-1]
    assert total[0] == "合计"
    assert [r[0] for r in body] == list(range(1, len(body) + 1))
    sums = _sums()
    assert total[3] == sums["served"] == sum(r[3] for r in body) == 4
    assert Decimal(str(total[5])) == sums["list"] == Decimal("70.00")
    assert Decimal(str(total[6])) == sums["discount"] == Decimal("17.00")
    assert Decimal(str(total[7])) == sums["subsidy"] == Decimal("43.00")
    assert Decimal(str(total[8])) == sums["paid"] == Decimal("10.00")
    for column in (5, 6, 7, 8):
        assert sum(Decimal(str(r[column])) for r in body) == Decimal(str(total[column]))
    amounts = sheet.cell(row=4, column=6)
    assert amounts.number_format == "#,##0.00"
    # The month's file for the community says so in its title row.
    month = timeutil.local_today().strftime("%Y-%m")
    response = c.get(reverse("console:market_ledger_xlsx"), {"month": month, "node": w.community.pk})
    title = load_workbook(io.BytesIO(response.content)).active["A1"].value
    assert title == f"补贴台账　{w.community.name}　{month}"


def test_the_pdf_summary_reads_back(client, w):
    try:
        import weasyprint  # noqa: F401 - loads Pango through cffi
    except OSError as exc:
        pytest.skip(f"WeasyPrint cannot load Pango ({exc}): install libpango-1.0-0 libpangoft2-1.0-0")
    if not list(Path("/usr/share/fonts").rglob("NotoSansCJK*")):
        pytest.skip("Noto Sans CJK is missing: install the Debian package fonts-noto-cjk")
    event = _served_day(w)
    response = _login(client, w.staff).get(reverse("console:market_event_ledger_pdf", args=[event.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in ("补贴台账", w.community.name, "阿芳理发店", "老李磨刀", "合计", "70.00", "43.00", "社区补贴(元)"):
        assert expected in text, expected
    fonts = {
        str(font.get("/BaseFont"))
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
        for font in [font.get_object()]
    }
    assert any("Noto-Sans-CJK-SC" in f for f in fonts), fonts


def test_exports_are_scoped(client, w):
    event = _served_day(w)
    c = _login(client, w.other_staff)
    assert c.get(reverse("console:market_event_ledger_xlsx", args=[event.pk])).status_code == 404
    assert c.get(reverse("console:market_event_ledger_pdf", args=[event.pk])).status_code == 404
    assert c.get(reverse("console:market_ledger_xlsx"), {"node": w.community.pk}).status_code == 404
    assert _login(client, w.leader).get(reverse("console:market_ledger_xlsx")).status_code == 403
