"""Staff console pages. Thin: every read goes through a grid selector that takes the viewer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from gongzhi.core.errors import NotFound
from gongzhi.grid import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    nodes = selectors.home_nodes(request.user)
    if len(nodes) == 1:
        return redirect("console:grid_node", node_id=nodes[0].pk)
    return render(request, "console/home.html", {"nodes": nodes})


def _node_or_404(request: HttpRequest, node_id: int):
    try:
        return selectors.grid_node_for(request.user, node_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


@login_required
def grid_node(request: HttpRequest, node_id: int) -> HttpResponse:
    node = _node_or_404(request, node_id)
    visible = selectors.grid_nodes_visible_to(request.user)
    context = {
        "node": node,
        "breadcrumbs": [n for n in selectors.ancestors(node) if visible.filter(pk=n.pk).exists()],
        "children": list(node.children.order_by("sort_order", "path")),
        "counts": selectors.subtree_counts(node),
        "cards": selectors.staff_cards(node),
        "buildings": list(node.buildings.select_related("compound")[:200]) if node.level == "micro_grid" else [],
    }
    return render(request, "console/grid_node.html", context)


@login_required
def grid_node_geojson(request: HttpRequest, node_id: int) -> JsonResponse:
    """The node's children (or itself, for a micro-grid) as a FeatureCollection for the map."""
    node = _node_or_404(request, node_id)
    shapes = list(node.children.exclude(boundary__isnull=True)) or ([node] if node.boundary else [])
    features = [
        {
            "type": "Feature",
            "geometry": n.boundary,
            "properties": {"id": n.pk, "code": n.code, "name": n.name, "level": n.level},
        }
        for n in shapes
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})
