"""Staff console pages. Thin: every read goes through a grid selector that takes the viewer; NotFound is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from gongzhi.console import selectors as console_selectors
from gongzhi.core.errors import NotFound
from gongzhi.grid import roles, selectors
from gongzhi.grid.models import GridNode

# Headings of the figures: how many of each level lie below a node.
LEVEL_FIGURES = {
    roles.STREET: _("Streets"),
    roles.COMMUNITY: _("Communities"),
    roles.GRID: _("Grids"),
    roles.MICRO_GRID: _("Micro-grids"),
}
# A micro-grid rarely holds more; the page says how many were left out rather than growing without bound.
MAX_BUILDINGS = 200


def _node_or_404(request: HttpRequest, node_id: int) -> GridNode:
    try:
        return selectors.grid_node_for(request.user, node_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


# Where each workbench lives (console_selectors.Workbenches.landing names one).
LANDING_URLS = {
    "tasks": "console:tasks",
    "queue": "console:queue",
    "department": "console:department",
    "analytics": "analytics:home",
    "cases": "console:cases",
    "areas": "console:areas",
    "inbox": "console:inbox",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The console's front door (and where login lands): the viewer's own workbench."""
    bench = console_selectors.workbenches(request.user)
    if not bench.areas and bench.landing == "inbox":
        return render(request, "console/home.html", {"nodes": []})  # no post yet: say so
    return redirect(LANDING_URLS[bench.landing])


@login_required
def areas(request: HttpRequest) -> HttpResponse:
    """The grid browser's start: the viewer's area, or the list of them when they serve in several."""
    if not console_selectors.workbenches(request.user).areas:
        return render(request, "403.html", {"exception": _("You hold no post in any grid yet.")}, status=403)
    nodes = selectors.home_nodes(request.user)
    if len(nodes) == 1:
        return redirect("console:grid_node", node_id=nodes[0].pk)
    return render(request, "console/home.html", {"nodes": nodes})


@login_required
def grid_node(request: HttpRequest, node_id: int) -> HttpResponse:
    node = _node_or_404(request, node_id)
    visible = selectors.grid_nodes_visible_to(request.user)
    # Only the levels the viewer may open: a community worker's trail starts at their community.
    breadcrumbs = list(selectors.ancestors(node).filter(pk__in=visible.values("pk")))
    counts = selectors.subtree_counts(node)
    below = roles.LEVELS[roles.level_index(node.level) + 1 :]
    figures: list[tuple[Any, int]] = [(LEVEL_FIGURES[level], counts.get(level, 0)) for level in below]
    figures += [(_("Buildings"), counts["buildings"]), (_("Staff posts"), counts["posts"])]
    cards = selectors.staff_cards(node)
    buildings: list[Any] = []
    if node.level == roles.MICRO_GRID:
        buildings = list(node.buildings.select_related("compound").order_by("code")[:MAX_BUILDINGS])
    context = {
        "node": node,
        "breadcrumbs": breadcrumbs,
        "children": list(node.children.order_by("sort_order", "path")),
        "figures": figures,
        "cards": cards,
        # Staff cards stop at the community (三亮 is for residents); above it an empty section would only mislead.
        "show_staff": bool(cards) or roles.level_index(node.level) >= roles.level_index(roles.COMMUNITY),
        "buildings": buildings,
        "buildings_hidden": max(counts["buildings"] - len(buildings), 0) if buildings else 0,
    }
    return render(request, "console/grid_node.html", context)


@login_required
def grid_node_geojson(request: HttpRequest, node_id: int) -> JsonResponse:
    """The node's children as a FeatureCollection for the map.

    A micro-grid has no children: it is drawn itself, with its buildings as points (``kind`` tells them apart).
    """
    node = _node_or_404(request, node_id)
    shapes = list(node.children.exclude(boundary__isnull=True).order_by("sort_order", "path"))
    if not shapes and node.boundary:
        shapes = [node]
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "id": n.pk,
            "geometry": n.boundary,
            "properties": {"kind": "area", "id": n.pk, "code": n.code, "name": n.name, "level": n.level},
        }
        for n in shapes
    ]
    if node.level == roles.MICRO_GRID:
        located = node.buildings.select_related("compound").exclude(lat__isnull=True).exclude(lon__isnull=True)
        features += [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [b.lon, b.lat]},
                "properties": {"kind": "building", "id": b.pk, "name": str(b)},
            }
            for b in located.order_by("code")[:MAX_BUILDINGS]
        ]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Cache-Control"] = "private, no-cache"
    return response
