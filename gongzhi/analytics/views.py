"""Command-centre dashboard, its panel data, monthly reports and the public transparency page. Thin views: the
figures come from ``panels`` (rollup sums + ``formulas``), every staff read starts from the viewer's grid scope."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from gongzhi.analytics import formulas as f
from gongzhi.analytics import panels, reports, selectors
from gongzhi.analytics.models import Rollup
from gongzhi.core.db import replica_reads
from gongzhi.core.errors import NotFound
from gongzhi.grid.models import GridNode

REFRESH_SECONDS = 60
# The monthly report's formats (the URL allows only these: analytics.urls.ReportFormatConverter).
REPORT_FORMATS = {"pdf": "pdf", "xlsx": "xlsx"}


def _node_or_404(request: HttpRequest, node_id: int) -> GridNode:
    try:
        return selectors.node_for(request.user, node_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _month_or_400(request: HttpRequest) -> tuple[object, JsonResponse | None]:
    try:
        return panels.parse_month(request.GET.get("month")), None
    except ValueError as exc:
        return None, JsonResponse({"error": str(exc)}, status=400)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    try:
        node = selectors.home_node(request.user)
    except NotFound:
        raise Http404(_("You have no area whose figures you may see.")) from None
    return redirect("analytics:dashboard", node.pk)


@login_required
@replica_reads
def dashboard(request: HttpRequest, node_id: int) -> HttpResponse:
    node = _node_or_404(request, node_id)
    month, error = _month_or_400(request)
    if error is not None:
        # A person typed or followed a bad address: say so on the page and show the current month (the rest of the
        # query, such as the big-screen mode, is kept).
        messages.warning(request, _("The month must look like 2025-03; this month is shown instead."))
        query = request.GET.copy()
        query.pop("month", None)
        target = reverse("analytics:dashboard", args=[node.pk])
        return redirect(f"{target}?{query.urlencode()}" if query else target)
    crumbs = [
        n
        for n in GridNode.objects.filter(
            jurisdiction_id=node.jurisdiction_id, path__in=[node.path[:i] for i in range(4, len(node.path), 4)]
        ).order_by("path")
        if selectors.user_can_see(request.user, n)
    ]
    big = request.GET.get("screen") == "1"
    by = request.GET.get("by") if request.GET.get("by") in f.RANKABLE else panels.DEFAULT_RANKING
    return render(
        request,
        "analytics/dashboard.html",
        {
            "node": node,
            "crumbs": crumbs,
            "month": panels.month_label(month),
            "big": big,
            "refresh_seconds": REFRESH_SECONDS,
            "children": selectors.descendants(node).only("pk", "name", "level", "path"),
            "rank_by": by,
            "rank_options": [(key, panels.figure_label(key)) for key in f.RANKABLE],
            "min_sample": panels.min_sample(),
        },
    )


@login_required
@replica_reads
def panel(request: HttpRequest, node_id: int, name: str) -> JsonResponse:
    node = _node_or_404(request, node_id)
    if name not in panels.PANELS:
        return JsonResponse({"error": _("No such panel.")}, status=404)
    month, error = _month_or_400(request)
    if error is not None:
        return error
    try:
        data = panels.panel(name, node, month, by=request.GET.get("by"))
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(data)


@login_required
@replica_reads
def report(request: HttpRequest, node_id: int, month: str, fmt: str) -> HttpResponse:
    node = _node_or_404(request, node_id)
    try:
        start = panels.parse_month(month)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    data = reports.monthly(node, start)
    if fmt == "pdf":
        response = HttpResponse(reports.pdf(data), content_type="application/pdf")
    else:
        response = HttpResponse(
            reports.xlsx(data), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    # The file name is ours from end to end: the node's code (letters, digits, - and _ only), the month, the format.
    code = re.sub(r"[^A-Za-z0-9_-]", "_", node.code)[:40] or str(node.pk)
    name = f"gongzhi-{code}-{panels.month_label(start)}.{REPORT_FORMATS[fmt]}"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@replica_reads
def public(request: HttpRequest) -> HttpResponse:
    """公开: the headline figures of every community this month and last — counts and rates only, no personal data."""
    month, error = _month_or_400(request)
    if error is not None:
        return HttpResponse(
            _("The month must look like 2025-03."), status=400, content_type="text/plain; charset=utf-8"
        )
    until = f.next_month(month)
    rows = []
    for root in GridNode.objects.filter(parent__isnull=True).order_by("pk"):
        counted = selectors.by_child(node=root, period=Rollup.MONTH, since=month, until=until, depth=2)
        total = panels.public_figures(selectors.counts(node=root, since=month, until=until))
        communities = [
            {"node": c, "figures": panels.public_figures(counted.get(c.pk, f.as_dict(f.ZERO)))}
            for c in selectors.public_communities(root.jurisdiction_id)
        ]
        rows.append({"root": root, "total": total, "communities": communities})
    return render(
        request,
        "analytics/public.html",
        {
            "jurisdictions": rows,
            "month": panels.month_label(month),
            "min_sample": panels.min_sample(),
            "rate_labels": [panels.figure_label(key) for key in panels.PUBLIC_RATES],
        },
    )
