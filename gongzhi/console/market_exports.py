"""The subsidy ledger (补贴台账) of the market as a community accountant files it: an Excel workbook (through
``core.excel``, the one Excel writer) and a PDF summary (WeasyPrint, the system's Chinese font, like the handbook).

The headings are the Chinese ones the accounts use, whatever the reader's language: the file goes to the community's
books. Amounts are Decimal yuan with two places (a number format of 0.00 in Excel, written out in the PDF); the totals
row adds up the rows, which ``market.selectors.ledger`` summed from the bookings served.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from gongzhi.core import excel
from gongzhi.market.selectors import Ledger, LedgerRow

CSS_PATH = Path(__file__).resolve().parent / "pdf" / "market_ledger.css"
TITLE = "补贴台账"
HEADINGS = (
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
WIDTHS = (6, 22, 22, 10, 12, 14, 14, 14, 14)
MONEY_FORMAT = "#,##0.00"
TOTAL = "合计"


@dataclass(frozen=True)
class LedgerSheet:
    community: str
    period: str
    ledger: Ledger


def yuan(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,.2f}"


def _values(row: LedgerRow) -> list[object]:
    return [row.served, row.free, row.list_value, row.discount, row.subsidy, row.paid]


def ledger_xlsx(sheet: LedgerSheet) -> bytes:
    book = excel.Book()
    ws = book.sheet(TITLE)
    ws.row([f"{TITLE}　{sheet.community}　{sheet.period}"], bold=True)
    ws.row([f"制表日期：{timezone.localdate():%Y-%m-%d}"])
    ws.header(list(HEADINGS), widths=WIDTHS)
    formats = [None, None, None, None, None, MONEY_FORMAT, MONEY_FORMAT, MONEY_FORMAT, MONEY_FORMAT]
    for n, row in enumerate(sheet.ledger.rows, start=1):
        ws.row([n, row.service, row.provider, *_values(row)], formats=formats)
    ws.row([TOTAL, "", "", *_values(sheet.ledger.total)], bold=True, formats=formats)
    return book.to_bytes()


def ledger_pdf(sheet: LedgerSheet) -> bytes:
    from weasyprint import CSS, HTML  # imported here: it loads Pango, which a web worker needs only for PDFs

    rows = [
        {"n": n, "service": r.service, "provider": r.provider, "served": r.served, "free": r.free, **_money(r)}
        for n, r in enumerate(sheet.ledger.rows, start=1)
    ]
    total = sheet.ledger.total
    html = render_to_string(
        "console/market/ledger_pdf.html",
        {
            "title": TITLE,
            "headings": HEADINGS,
            "community": sheet.community,
            "period": sheet.period,
            "rows": rows,
            "total": {"served": total.served, "free": total.free, **_money(total)},
            "total_label": TOTAL,
            "site_name": settings.GONGZHI_SITE_NAME,
            "made": timezone.localdate(),
        },
    )
    return bytes(HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(CSS_PATH))]))


def _money(row: LedgerRow) -> dict[str, str]:
    return {
        "list_value": yuan(row.list_value),
        "discount": yuan(row.discount),
        "subsidy": yuan(row.subsidy),
        "paid": yuan(row.paid),
    }
