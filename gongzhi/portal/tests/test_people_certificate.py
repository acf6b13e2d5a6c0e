"""A volunteer's yearly certificate (PDF): their own, behind the phone login; approved hours only; 404 for a year
without any; read back with ``core.testing.pdf`` — the name and the hours in its text, Noto Sans CJK SC embedded, and
the title drawn with real glyphs on the rasterised page (ink where the title is, different characters different)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from PIL import ImageChops

from gongzhi.core import timeutil
from gongzhi.core.testing import pdf
from gongzhi.portal.tests.test_people_pages import ME, OTHER, as_phone
from gongzhi.volunteers import services
from gongzhi.volunteers.tests.factories import people_world

pytestmark = pytest.mark.django_db


def hours(w, volunteer, day, amount, text, *, approved=True, reason="未核实"):
    row = services.submit_hours(volunteer=volunteer, community=w.community, day=day, hours=amount, description=text)
    services.decide_hours(hours=row, actor=w.staff, approved=approved, reason="" if approved else reason)
    return row


@pytest.fixture
def cw(db):
    w = people_world()
    w.community.name = "幸福社区"
    w.community.save(update_fields=["name"])
    w.me = w.volunteer(phone=ME, name="张志愿", home=w.community)
    last_year = timeutil.local_today().year - 1
    w.year = last_year
    hours(w, w.me, date(last_year, 3, 5), "2.5", "陪护独居老人")
    hours(w, w.me, date(last_year, 9, 1), "4", "社区义诊引导")
    hours(w, w.me, date(last_year, 10, 1), "9", "被拒的时长", approved=False)
    services.submit_hours(volunteer=w.me, community=w.community, day=date(last_year, 11, 1), hours="5",
                          description="还未审核")  # fmt: skip
    other = w.volunteer(phone=OTHER, name="李别人")
    hours(w, other, date(last_year, 3, 5), "8", "别人的服务")
    return w


def test_the_certificate_needs_the_login_and_a_year_with_approved_hours(client, cw):
    url = reverse("portal:people_certificate", args=[cw.year])
    assert url == f"/r/people/hours/{cw.year}/certificate.pdf"
    assert client.get(url).status_code == 302
    assert as_phone(ME).get(reverse("portal:people_certificate", args=[cw.year - 1])).status_code == 404
    assert as_phone("13500000009").get(url).status_code == 404  # no volunteer profile
    for year in (0, 1999, 10000, 99999999):
        assert as_phone(ME).get(f"/r/people/hours/{year}/certificate.pdf").status_code == 404
    # Only submitted or refused hours in a year: no certificate.
    w = cw
    lonely = w.volunteer(phone="13500000010")
    hours(w, lonely, date(cw.year, 1, 2), "3", "被拒", approved=False)
    services.submit_hours(volunteer=lonely, community=w.community, day=date(cw.year, 1, 3), hours="2", description="等")
    assert as_phone("13500000010").get(url).status_code == 404


def test_the_certificate_reads_back_with_approved_hours_and_chinese_glyphs(cw, tmp_path):
    pdf.need_weasyprint_and_cjk_font()
    response = as_phone(ME).get(reverse("portal:people_certificate", args=[cw.year]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = response.content
    text = pdf.text(content).replace(" ", "")
    assert "张志愿" in text and "幸福社区" in text and str(cw.year) in text
    assert "陪护独居老人" in text and "社区义诊引导" in text and "6.50" in text  # 2.5 + 4, approved only
    assert "被拒的时长" not in text and "还未审核" not in text and "9.00" not in text
    assert "李别人" not in text and "别人的服务" not in text and ME not in text
    assert any("Noto-Sans-CJK-SC" in f for f in pdf.fonts(content)), pdf.fonts(content)
    # The title (志愿服务证明, zh-Hans) is drawn: the band where it sits carries ink, a blank band none, and the
    # title's halves differ (missing glyphs are all the same empty box).
    page = pdf.rasterise(content, tmp_path).convert("L")
    width, height = page.size
    title = page.crop((int(width * 0.2), int(height * 0.08), int(width * 0.8), int(height * 0.15)))
    blank = page.crop((int(width * 0.2), int(height * 0.85), int(width * 0.8), int(height * 0.91)))

    def ink(image):
        return sum(image.point(lambda v: 255 if v < 128 else 0).histogram()[255:])

    assert ink(title) > 500 and ink(blank) == 0, (ink(title), ink(blank))
    left, right = (
        title.crop((0, 0, title.width // 2, title.height)),
        title.crop((title.width // 2, 0, title.width, title.height)),
    )
    diff = ImageChops.difference(left, right).point(lambda v: 255 if v > 64 else 0).histogram()[255:]
    assert sum(diff) > 200


def test_this_years_hours_are_not_on_last_years_certificate(cw):
    pdf.need_weasyprint_and_cjk_font()
    this_year = timeutil.local_today()
    hours(cw, cw.me, this_year, "3", "今年的服务")
    text = pdf.text(as_phone(ME).get(reverse("portal:people_certificate", args=[cw.year])).content)
    assert "今年的服务" not in text
    now = as_phone(ME).get(reverse("portal:people_certificate", args=[this_year.year]))
    assert now.status_code == 200 and "今年的服务" in pdf.text(now.content)
    page = as_phone(ME).get(reverse("portal:people_hours") + f"?year={cw.year}")
    assert page.context["total"] == Decimal("6.50")
