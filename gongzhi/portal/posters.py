"""QR posters for buildings (码上反馈), as PDF: one A4 poster per building, or A4 sheets of six labels.

The code holds the building's scan URL (``portal:scan``). Each poster names the building, shows the grid's staff
cards (三亮: name, duty, phone) and a short instruction. WeasyPrint lays the page out and embeds the system CJK font
(Debian ``fonts-noto-cjk``, "Noto Sans CJK SC"); nothing is fetched from anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from gongzhi.core.qr import base_url, qr_data_uri, unreachable_host
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building

__all__ = ["base_url", "posters_for", "qr_data_uri", "render", "scan_url", "unreachable_host", "warning_host"]

CSS_PATH = Path(__file__).resolve().parent / "pdf" / "poster.css"
MAX_BUILDINGS = 500  # one request; a whole street is printed community by community
STAFF_ON_POSTER = 3
LABELS_PER_SHEET = 6


def warning_host(request: HttpRequest) -> str:
    """The unreachable host the posters would carry (GONGZHI_PUBLIC_URL unset), or "" when they are fine."""
    return "" if settings.GONGZHI_PUBLIC_URL else unreachable_host(base_url(request))


def scan_url(building: Building, base: str) -> str:
    return base.rstrip("/") + reverse("portal:scan", args=[building.public_token])


@dataclass(frozen=True)
class Poster:
    building: Building
    title: str
    url: str
    qr: str
    staff: list[grid_selectors.StaffCard]


def posters_for(buildings: list[Building], base: str) -> list[Poster]:
    cards_by_node: dict[int, list[grid_selectors.StaffCard]] = {}
    out = []
    for building in buildings:
        if building.node_id not in cards_by_node:
            cards_by_node[building.node_id] = grid_selectors.staff_cards(building.node)[:STAFF_ON_POSTER]
        url = scan_url(building, base)
        out.append(
            Poster(
                building=building,
                title=str(building),
                url=url,
                qr=qr_data_uri(url),
                staff=cards_by_node[building.node_id],
            )
        )
    return out


def render(buildings: list[Building], *, base_url: str, layout: str = "poster") -> bytes:
    """The PDF bytes: one page per building (``poster``) or six labels a page (``sheet``). Codes leading to an
    address residents cannot reach carry a "do not put up" strip on every page."""
    from weasyprint import CSS, HTML  # imported here: it loads Pango, which a web worker needs only for posters

    if layout not in ("poster", "sheet"):
        raise ValueError(f"unknown layout {layout!r}")
    items = posters_for(buildings, base_url)
    pages = (
        [items[i : i + LABELS_PER_SHEET] for i in range(0, len(items), LABELS_PER_SHEET)] if layout == "sheet" else []
    )
    warn = "" if settings.GONGZHI_PUBLIC_URL else unreachable_host(base_url)
    html = render_to_string(
        "portal/poster.html",
        {"posters": items, "layout": layout, "sheets": pages, "site_name": settings.GONGZHI_SITE_NAME, "warn": warn},
    )
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(CSS_PATH))])
