"""Monthly report per grid node: the figures, the 721 split, the daily trend, the top categories and the child areas,
as PDF (WeasyPrint, system font Noto Sans CJK SC, charts as inline SVG drawn here — no browser) and as Excel
(``core.excel``: typed numbers, names as text, with native Excel charts)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.analytics import formulas as f
from gongzhi.analytics import panels, selectors
from gongzhi.analytics.models import Rollup
from gongzhi.core import excel
from gongzhi.grid.models import GridNode

CSS_PATH = Path(__file__).resolve().parent / "pdf" / "report.css"
PALETTE = ("#2f6f9f", "#3c8d5a", "#c0772a", "#7b4f9d", "#b24a4a")
TOP_CATEGORIES = 12


COUNT, RATE, HOURS = panels.COUNT, panels.RATE, panels.HOURS
_figure_specs = panels.figure_specs


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == RATE:
        return f"{value * 100:.1f}%"
    if kind == HOURS:
        return f"{value:.1f}"
    return str(value)


def _typed(value: Any, kind: str) -> Any:
    """The figure as an Excel cell value: counts are numbers, rates fractions shown as %, hours one decimal."""
    if kind == RATE:
        return excel.Percent(value)
    if kind == HOURS:
        return excel.Number(value, "0.0")
    return value


def figure_rows(fig: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, shown value) of the headline figures, in the order of docs/metrics.md."""
    return [(label, _shown(fig[key], kind)) for key, label, kind in _figure_specs()]


def figure_cells(fig: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, typed value) of the same figures, for a workbook."""
    return [(label, _typed(fig[key], kind)) for key, label, kind in _figure_specs()]


@dataclass
class Monthly:
    node: GridNode
    month: date
    generated: str
    figures: dict[str, Any]
    level_721: list[dict[str, Any]]
    trend: dict[str, Any]
    categories: list[dict[str, Any]]
    children: list[tuple[str, dict[str, Any]]]


def monthly(node: GridNode, month: date) -> Monthly:
    until = f.next_month(month)
    counts = selectors.counts(node=node, since=month, until=until)
    head = panels.headline(node, month)
    counted = selectors.by_child(node=node, since=month, until=until)
    zero = f.as_dict(f.ZERO)
    children = [(c.name, f.figures(counted.get(c.pk, zero))) for c in selectors.descendants(node).only("pk", "name")]
    days = [
        (d, c)
        for d, c in selectors.series(node=node, period=Rollup.DAY, since=month, until=until)
        if month <= d < until
    ]
    return Monthly(
        node=node,
        month=month,
        generated=timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        figures=f.figures(counts),
        level_721=head["level_721"],
        trend={
            "days": [d.day for d, _c in days],
            "received": [c["received"] for _d, c in days],
            "resolved": [c["resolved"] for _d, c in days],
        },
        categories=panels.categories(node, month)["categories"],
        children=children,
    )


# ------------------------------------------------------------------------------------------------------ SVG charts


def svg_pie(parts: list[tuple[str, int]], *, size: int = 220) -> str:
    total = sum(v for _n, v in parts)
    r, cx, cy = size * 0.36, size * 0.4, size / 2
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size * 2}" height="{size}" viewBox="0 0 {size * 2} {size}">'
    ]
    if total == 0:
        out.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="#eee"/>')
    angle = -math.pi / 2
    for i, (name, value) in enumerate(parts):
        colour = PALETTE[i % len(PALETTE)]
        if total and value:
            sweep = 2 * math.pi * value / total
            if value == total:
                out.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{colour}"/>')
            else:
                x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
                x2, y2 = cx + r * math.cos(angle + sweep), cy + r * math.sin(angle + sweep)
                large = int(sweep > math.pi)
                out.append(
                    f'<path d="M{cx:.1f},{cy:.1f} L{x1:.1f},{y1:.1f} A{r:.1f},{r:.1f} 0 {large} 1 {x2:.1f},{y2:.1f} Z" '
                    f'fill="{colour}"/>'
                )
            angle += sweep
        y = 24 + i * 24
        share = f"{value / total * 100:.1f}%" if total else "—"
        out.append(f'<rect x="{size * 0.85:.0f}" y="{y - 11}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{size * 0.85 + 18:.0f}" y="{y}" font-size="13">{escape(name)} {value} ({share})</text>')
    out.append("</svg>")
    return "".join(out)


def svg_bars(labels: list[str], series: list[tuple[str, list[int]]], *, width: int = 640, height: int = 220) -> str:
    top = max([1, *(v for _n, values in series for v in values)])
    n = max(1, len(labels))
    left, bottom, plot_h = 36, 28, height - 56
    slot = (width - left - 8) / n
    bar = max(1.0, slot / (len(series) + 1))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    out.append(f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" stroke="#555"/>')
    for value in (top, top // 2):
        y = height - bottom - plot_h * value / top
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 4}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="2" y="{y + 4:.1f}" font-size="10">{value}</text>')
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        for i, v in enumerate(values):
            h = plot_h * v / top
            x = left + i * slot + s * bar
            out.append(
                f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}"/>'
            )
        out.append(f'<rect x="{left + s * 110}" y="4" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{left + s * 110 + 14}" y="13" font-size="11">{escape(name)}</text>')
    step = max(1, n // 15)
    for i, label in enumerate(labels):
        if i % step == 0:
            x = left + i * slot + slot / 2
            out.append(
                f'<text x="{x:.1f}" y="{height - 10}" font-size="10" text-anchor="middle">{escape(label)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def svg_hbars(rows: list[tuple[str, int]], *, width: int = 640, bar: int = 16, gap: int = 6) -> str:
    """Horizontal bars, one per row, the name on the left and the number at the end (names are never cut)."""
    top = max([1, *(v for _n, v in rows)])
    label_w, value_w = 150, 40
    plot = width - label_w - value_w
    height = max(1, len(rows)) * (bar + gap) + gap
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (name, value) in enumerate(rows):
        y = gap + i * (bar + gap)
        w = plot * value / top
        out.append(
            f'<text x="{label_w - 6}" y="{y + bar - 4}" font-size="11" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" fill="{PALETTE[0]}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 4}" font-size="11">{value}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _charts(data: Monthly) -> dict[str, str]:
    pie = svg_pie([(x["name"], x["value"]) for x in data.level_721], size=180)
    trend = svg_bars(
        [str(d) for d in data.trend["days"]],
        [(_("received"), data.trend["received"]), (_("resolved"), data.trend["resolved"])],
        height=190,
    )
    categories = svg_hbars([(c["name"], c["received"]) for c in data.categories[:TOP_CATEGORIES]])
    return {"pie": pie, "trend": trend, "categories": categories}


def _pairs(rows: list[tuple[str, str]]) -> list[tuple[tuple[str, str], tuple[str, str] | None]]:
    """The figures two to a line: a page holds them in half the height."""
    half = (len(rows) + 1) // 2
    return [(rows[i], rows[half + i] if half + i < len(rows) else None) for i in range(half)]


def html(data: Monthly) -> str:
    return render_to_string(
        "analytics/report.html",
        {
            "r": data,
            "rows": figure_rows(data.figures),
            "pairs": _pairs(figure_rows(data.figures)),
            "charts": _charts(data),
            "month": panels.month_label(data.month),
        },
    )


def pdf(data: Monthly) -> bytes:
    from weasyprint import CSS, HTML  # loads Pango: only when a report is asked for

    return HTML(string=html(data)).write_pdf(stylesheets=[CSS(filename=str(CSS_PATH))])


def xlsx(data: Monthly) -> bytes:
    """The same report as a workbook (``core.excel``): numbers as numbers with formats, names as text, native
    charts over the cells."""
    from openpyxl.chart import BarChart, PieChart, Reference

    book = excel.Book()
    sheet = book.sheet(_("Figures"))
    sheet.row([f"{data.node.name} · {panels.month_label(data.month)}"], bold=True)
    sheet.header([_("Figure"), _("Value")], widths=[36, 14])
    for label, value in figure_cells(data.figures):
        sheet.row([label, value])
    sheet.blank()
    start = sheet.row([_("Resolved at level (721)"), _("Cases")], bold=True)
    for x in data.level_721:
        sheet.row([x["name"], x["value"]])
    pie = PieChart()
    pie.title = _("Resolved at level (721)")
    pie.add_data(Reference(sheet.ws, min_col=2, min_row=start + 1, max_row=start + len(data.level_721)))
    pie.set_categories(Reference(sheet.ws, min_col=1, min_row=start + 1, max_row=start + len(data.level_721)))
    sheet.ws.add_chart(pie, "D2")

    daily = book.sheet(_("Daily"))
    daily.header([_("Day"), _("received"), _("resolved")], widths=[12, 10, 10])
    for d, rec, res in zip(data.trend["days"], data.trend["received"], data.trend["resolved"], strict=True):
        daily.row([data.month.replace(day=d), rec, res])
    if data.trend["days"]:
        chart = BarChart()
        chart.title = _("Received and resolved per day")
        chart.add_data(Reference(daily.ws, min_col=2, max_col=3, min_row=1, max_row=daily.rows), titles_from_data=True)
        chart.set_categories(Reference(daily.ws, min_col=1, min_row=2, max_row=daily.rows))
        daily.ws.add_chart(chart, "E2")

    cats = book.sheet(_("Categories"))
    cats.header([_("Category"), _("received"), _("On-time rate (按期办结率)")], widths=[24, 10, 16])
    for c in data.categories:
        cats.row([c["name"], c["received"], excel.Percent(c["on_time_rate"])])

    areas = book.sheet(_("Areas"))
    labels = [label for label, _v in figure_cells(f.figures(f.as_dict(f.ZERO)))]
    areas.header([_("Area"), *labels], widths=[24, *[14] * len(labels)])
    for name, fig in data.children:
        areas.row([name, *[value for _label, value in figure_cells(fig)]])
    return book.to_bytes()
