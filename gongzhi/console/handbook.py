"""The service handbook (便民服务手册) of a community, as PDF: a printable booklet for residents.

Built from sections, so other domains can add theirs: a section hook takes the community and gives a ``Section``
(title, template, context) or None when it has nothing to print; ``register`` adds a hook, and the handbook prints
the sections in order. The lists give two: the service projects grouped by category, and the resources with their
hours and phone numbers — an organisation's phone is public, a contact person's name and mobile are masked
(``core.privacy``) —, then the stations serving the community (phone, hours, items). WeasyPrint lays it out with
the system's Chinese font embedded ("Noto Sans CJK SC", Debian ``fonts-noto-cjk``), like the QR posters; nothing is
fetched from anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.privacy import mask_name, mask_phone, mask_text
from gongzhi.grid.models import GridNode
from gongzhi.lists import selectors as lists
from gongzhi.lists.choices import Category
from gongzhi.stations import selectors as stations

CSS_PATH = Path(__file__).resolve().parent / "pdf" / "handbook.css"


@dataclass(frozen=True)
class Section:
    """One part of the handbook: a heading, the template that prints it (given ``context`` and ``node``)."""

    key: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


SectionHook = Callable[[GridNode], Section | None]
_HOOKS: list[SectionHook] = []


def register(hook: SectionHook) -> SectionHook:
    """Add a section hook (usable as a decorator); hooks run in the order they were registered."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)
    return hook


@register
def projects_section(node: GridNode) -> Section | None:
    projects = list(lists.public_projects(node).order_by("category", "name", "pk"))
    if not projects:
        return None
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in projects:
        groups.setdefault(p.category, []).append(
            {
                "name": p.name,
                "provider": p.provider.name,
                "price": p.price,
                "free": p.is_free,
                "eligibility": mask_text(p.eligibility),
                "schedule": p.schedule,
                "where": p.get_delivery_display() + (f" · {mask_text(p.place)}" if p.place else ""),
                "phone": p.provider.phone,
            }
        )
    ordered = [(Category(c).label, groups[c]) for c in Category.values if c in groups]
    return Section("projects", _("Service projects"), "console/handbook/projects.html", {"groups": ordered})


@register
def resources_section(node: GridNode) -> Section | None:
    rows = [
        {
            "name": r.name,
            "kind": r.get_kind_display(),
            "hours": r.hours,
            "phone": r.phone,  # the organisation's public line
            "contact": " ".join(x for x in (mask_name(r.contact_name), mask_phone(r.contact_phone)) if x),
            "address": r.address,
        }
        for r in lists.public_resources(node).order_by("kind", "name", "pk")
    ]
    if not rows:
        return None
    return Section("resources", _("Organisations and places"), "console/handbook/resources.html", {"rows": rows})


@register
def stations_section(node: GridNode) -> Section | None:
    """The stations serving the community (its own and those above it), their phone, hours and items."""
    rows = [
        {
            "name": st.name,
            "kind": st.get_kind_display(),
            "address": st.address,
            "phone": st.phone,  # the station's own work number
            "hours": "；".join(f"{d.label} {'、'.join(d.spans)}" for d in stations.week(st)),
            "items": "、".join(sorted(str(i.name) for i in st.items.all())),
        }
        for st in stations.stations_serving(node)
    ]
    if not rows:
        return None
    return Section("stations", _("Stations"), "console/handbook/stations.html", {"rows": rows})


def sections(node: GridNode) -> list[Section]:
    return [s for hook in _HOOKS if (s := hook(node)) is not None]


def render(node: GridNode) -> bytes:
    from weasyprint import CSS, HTML  # imported here: it loads Pango, which a web worker needs only for PDFs

    html = render_to_string(
        "console/handbook/handbook.html",
        {
            "node": node,
            "sections": sections(node),
            "site_name": settings.GONGZHI_SITE_NAME,
            "made": timezone.localdate(),
        },
    )
    return bytes(HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(CSS_PATH))]))
