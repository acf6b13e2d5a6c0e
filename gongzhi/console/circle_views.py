"""The console's 15-minute service circle (15分钟服务圈): per community, the share of buildings and households within a
walk of an open station offering a chosen service item, and a map of the stations, their walking circles and the
buildings left outside — where the next station would do the most good.

Open to staff who set up stations or read the figures (``station.manage`` or ``analytics.view``), over their own
area; another area's community is a 404, like every out-of-scope node.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.analytics import formulas
from gongzhi.core.errors import NotFound
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode
from gongzhi.lists import selectors as lists_selectors
from gongzhi.stations import coverage
from gongzhi.stations import selectors as station_selectors

MAP_UNCOVERED_LIMIT = 3000  # the demo district has 1,972 buildings; a city's district may have more
MAP_RESOURCES_LIMIT = 2000  # places of the resources list drawn beside the stations


def _root(user: Any) -> GridNode | None:
    """The outermost node where the viewer sets up stations or reads figures."""
    found = [
        n for n in (grid_selectors.home_node_with(user, c) for c in (roles.STATION_MANAGE, roles.ANALYTICS_VIEW)) if n
    ]
    return min(found, key=lambda n: (len(n.path), n.path), default=None)


class CircleForm(forms.Form):
    # Any node id is accepted here: one outside the viewer's area is then a 404 like everywhere (not "invalid choice").
    node = forms.IntegerField(label=gettext_lazy("Area"), required=False, min_value=1, widget=forms.Select)
    item = forms.ChoiceField(label=gettext_lazy("Stations offering"), required=False)

    def __init__(self, *args: Any, areas: list[GridNode], items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].widget.choices = [
            (n.pk, ("— " if n.level == roles.COMMUNITY else "") + n.name) for n in areas
        ]
        self.fields["item"].choices = [("", _("any service")), *items]


def _figures(c: Any) -> formulas.CircleFigures:
    return formulas.circle(
        buildings=c.buildings,
        covered_buildings=c.covered_buildings,
        households=c.households,
        covered_households=c.covered_households,
    )


def _stations_on_map(root: GridNode, item: str | None) -> list[dict[str, Any]]:
    """Every open station with a position in the jurisdiction (offering ``item``); ``inside`` when it stands in
    ``root``'s area (the map opens on those and the buildings outside the walk)."""
    rows = station_selectors.public_stations(None).filter(
        node__jurisdiction_id=root.jurisdiction_id, lat__isnull=False, lon__isnull=False
    )
    if item:
        rows = rows.filter(items__code=item)
    rows = rows.select_related(None).only("id", "name", "kind", "lat", "lon", "node__path").distinct().order_by("pk")
    return [
        {
            "id": s.pk,
            "name": s.name,
            "kind": s.get_kind_display(),
            "lat": s.lat,
            "lon": s.lon,
            "inside": s.node.path.startswith(root.path),
        }
        for s in rows.select_related("node")
    ]


@login_required
def station_circle(request: HttpRequest) -> HttpResponse:
    root = _root(request.user)
    if root is None:
        return render(request, "403.html", {"exception": _("Your posts set up no station.")}, status=403)
    communities = grid_selectors.subtree(root).filter(level=roles.COMMUNITY).exclude(pk=root.pk)
    areas = [root, *communities.defer("boundary").order_by("path")]
    items = [(i.code, i.label) for i in station_selectors.items()]
    form = CircleForm(request.GET or None, areas=areas, items=items)
    if request.GET and not form.is_valid():
        context = {"form": form, "circle": None, "root": root}
        return render(request, "console/station_circle.html", context, status=400)
    data = form.cleaned_data if request.GET else {}
    node = root
    if data.get("node"):
        try:
            node = grid_selectors.grid_node_for(request.user, data["node"])
        except NotFound as exc:
            raise Http404(exc.message) from None
    item = data.get("item") or None
    circle = coverage.service_circle(node, item)
    labels = dict(items)
    uncovered = sorted(circle.uncovered, key=lambda u: (-(u.minutes or 1e9), u.name))
    mapped = {
        "reach_m": round(circle.model.reach_m),
        "stations": _stations_on_map(node, item),
        # The area's places of the resources list (clinics, merchants, elderly care …): public fields only.
        "resources": [
            {"name": r.name, "kind": r.get_kind_display(), "lat": r.lat, "lon": r.lon}
            for r in lists_selectors.placed_resources(node.jurisdiction_id).filter(node__path__startswith=node.path)[
                :MAP_RESOURCES_LIMIT
            ]
        ],
        "uncovered": [
            {
                "name": u.name,
                "lat": u.lat,
                "lon": u.lon,
                "households": u.households,
                "minutes": round(u.minutes) if u.minutes is not None else None,
            }
            for u in uncovered[:MAP_UNCOVERED_LIMIT]
        ],
    }
    context = {
        "form": form,
        "root": root,
        "node": node,
        "circle": circle,
        "total": _figures(circle.total),
        "communities": [(c, _figures(c.coverage)) for c in circle.communities],
        "item_label": labels.get(item or "", ""),
        "reach_m": round(circle.model.reach_m),
        "worst": uncovered[:20],
        "map_data": mapped,
        "map_limited": len(uncovered) > MAP_UNCOVERED_LIMIT,
        "base_jurisdiction": node.jurisdiction_id,
    }
    return render(request, "console/station_circle.html", context)
