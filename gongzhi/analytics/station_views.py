"""A station's day report: "23 visitors, 5 requests, 3 solved on the spot, 2 due within 24 h".

Here, not in the console, because the figures are ``formulas.station_day`` (every figure defined once, in this app)
and the console may not import this app; the console's station desk loads this page's fragment (htmx) and links to
it. Who may read it is the stations domain's answer: those who keep the station's desk or manage it
(``stations.selectors.station_for``), not the command centre's ``analytics.view``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from gongzhi.analytics import formulas
from gongzhi.cases.models import Case
from gongzhi.core import timeutil
from gongzhi.core.errors import NotFound
from gongzhi.core.http import BadInput
from gongzhi.stations import selectors as station_selectors
from gongzhi.stations.models import Station


def day_report(station: Station, day: date, *, now: Any = None) -> tuple[formulas.StationDay, list[dict[str, Any]]]:
    """The station's figures for a local day and the cases taken there, with their current state."""
    log = station_selectors.day_log(station, day)
    cases = {c.pk: c for c in Case.objects.filter(pk__in=[i.case_id for i in log.intakes])}
    taken, rows = [], []
    for intake in log.intakes:
        case = cases.get(intake.case_id)
        if case is None:
            continue
        taken.append(formulas.TakenCase(status=case.status, on_the_spot=case.on_the_spot, resolve_due=case.resolve_due))
        rows.append({"intake": intake, "case": case})
    figures = formulas.station_day(visitors=log.visitors, taken=taken, now=now or timeutil.now())
    return figures, rows


def summary(figures: formulas.StationDay) -> str:
    """The report in one sentence, in the reader's language: "23 visitors, 5 requests, 3 solved on the spot, 2 due
    within 24 h (4 still open)."."""
    return _("%(visitors)s, %(requests)s, %(on_the_spot)s, %(due_soon)s (%(still_open)s).") % {
        "visitors": ngettext("%(n)s visitor", "%(n)s visitors", figures.visitors) % {"n": figures.visitors},
        "requests": ngettext("%(n)s request", "%(n)s requests", figures.requests) % {"n": figures.requests},
        "on_the_spot": ngettext("%(n)s solved on the spot", "%(n)s solved on the spot", figures.on_the_spot)
        % {"n": figures.on_the_spot},
        "due_soon": ngettext("%(n)s due within 24 h", "%(n)s due within 24 h", figures.due_soon)
        % {"n": figures.due_soon},
        "still_open": ngettext("%(n)s still open", "%(n)s still open", figures.still_open) % {"n": figures.still_open},
    }


@login_required
@require_GET
def station_day(request: HttpRequest, station_id: int) -> HttpResponse:
    try:
        station = station_selectors.station_for(request.user, station_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    text = request.GET.get("day", "")
    try:
        day = timeutil.parse_day(text) if text else timeutil.local_today()
    except ValueError:
        raise BadInput(_("That day does not exist (write it as 2026-12-06).")) from None
    figures, rows = day_report(station, day)
    context = {
        "station": station,
        "day": day,
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1),
        "figures": figures,
        "summary": summary(figures),
        "purposes": station_selectors.day_log(station, day).purposes,
        "rows": rows,
        "fragment": request.headers.get("HX-Request") == "true",
    }
    template = "analytics/station_day_fragment.html" if context["fragment"] else "analytics/station_day.html"
    return render(request, template, context)
