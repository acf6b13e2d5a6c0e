"""Resident pages of the people of the grid (issue 28), phone first: become a steward (红色小管家, or a part-time one),
become a volunteer and report in to a community (我是党员我报到), volunteer activities near me with sign-up, the
waiting list and cancelling, QR check-in and check-out at the activity, my hours and the yearly certificate (PDF).

``volunteers.services`` do the work and ``volunteers.selectors`` read; these views read the request and show the
answer. Everything a resident does needs the phone login (``phone_login``; GET goes to the login page and back, POST
without it is a 403 page with the login link). A resident sees only what their number owns: their applications (found
by the number's blind index), their profile, sign-ups and hours — never anyone else's name or number.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core import timeutil
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.privacy import mask_text
from gongzhi.core.redirects import safe_next
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, GridNode, Jurisdiction
from gongzhi.portal import participation, phone_login, selectors
from gongzhi.portal.people_forms import HoursForm, ReportInForm, StewardForm, VolunteerForm
from gongzhi.volunteers import selectors as people
from gongzhi.volunteers import services as people_services
from gongzhi.volunteers.choices import ApplicationStatus, HoursStatus, SignUpStatus, VettingLevel
from gongzhi.volunteers.models import Activity, Application, SignUp, Volunteer

CERTIFICATE_CSS = Path(__file__).resolve().parent / "pdf" / "certificate.css"
MAX_ACTIVITIES = 50
MAX_ROWS = 200


# ----------------------------------------------------------------------------------------------------------- helpers


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return render(request, f"portal/people/{template}", context, status=status)


REFUSED = "portal/people/refused.html"
_came_from = participation.came_from
_login = participation.phone_session
_login_url = participation.login_url
_throttled = participation.throttled


def _refused(
    request: HttpRequest, title: str, message: str, *, status: int, back: str, login: bool = False, **extra: Any
) -> HttpResponse:
    return participation.refused(request, REFUSED, title, message, status=status, back=back, login=login, **extra)


def _needs_login(request: HttpRequest, back: str) -> HttpResponse:
    return participation.needs_login(request, REFUSED, back)


def _too_many(request: HttpRequest, retry_after: int, back: str) -> HttpResponse:
    return participation.too_many(request, REFUSED, retry_after, back)


def _not_found(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "portal/not_found.html", {"message": message or _(people_services.NOT_FOUND)}, status=404)


def _jurisdiction(request: HttpRequest) -> Jurisdiction | None:
    building = _came_from(request)
    return building.jurisdiction if building is not None else selectors.default_jurisdiction()


def _communities(jurisdiction: Jurisdiction | None) -> list[tuple[int, str]]:
    if jurisdiction is None:
        return []
    return [(n.pk, n.name) for n in selectors.communities(jurisdiction).defer("boundary")]


def _community_of(node: GridNode) -> GridNode:
    return grid_selectors.ancestor_at(node, roles.COMMUNITY) or node


def _volunteer(request: HttpRequest, number: str) -> Volunteer | None:
    jurisdiction = _jurisdiction(request)
    if jurisdiction is None or not number:
        return None
    return people_services.volunteer_of(jurisdiction_id=jurisdiction.pk, phone=number)


# ------------------------------------------------------------------------------------------------------------- hub


@require_GET
def hub(request: HttpRequest) -> HttpResponse:
    """Serve your neighbourhood: the ways in (steward, volunteer, activities, my hours)."""
    building = _came_from(request)
    return _render(request, "hub.html", {"building": building, "login": phone_login.current(request)})


# ------------------------------------------------------------------------------------------------ become a steward


@dataclass
class ApplicationRow:
    application: Application
    community_word: str  # "", "approved", "refused"
    street_word: str
    reason: str  # the refusal's reason, masked


def _my_applications(index: str) -> list[ApplicationRow]:
    """The applications of this number (its blind index): never anyone else's."""
    rows = []
    for application in people.applications_of(index):
        words = {a.level: a for a in application.approvals.all()}
        reason = next((a.reason for a in words.values() if not a.approved), "")

        def word(level: str, words: dict[str, Any] = words) -> str:
            found = words.get(level)
            return "" if found is None else ("approved" if found.approved else "refused")

        rows.append(
            ApplicationRow(
                application=application,
                community_word=word(VettingLevel.COMMUNITY),
                street_word=word(VettingLevel.STREET),
                reason=mask_text(reason) if application.status == ApplicationStatus.REJECTED else "",
            )
        )
    return rows


def _micro_grids(request: HttpRequest) -> tuple[list[tuple[int, str]], GridNode | None, Building | None]:
    """The micro-grids offered: the building's (it came by its QR code) — else those of the community chosen
    (``community``), else none (the page lists the communities first)."""
    building = _came_from(request)
    picked = request.POST.get("community") or request.GET.get("community")
    community: GridNode | None = None
    if request.GET.get("choose"):
        return [], None, building
    if picked:
        community = selectors.public_node(picked, level=roles.COMMUNITY)
    elif building is not None and building.node.level == roles.MICRO_GRID:
        community = _community_of(building.node)
    if community is None:
        return [], None, building
    grids = GridNode.objects.filter(
        jurisdiction_id=community.jurisdiction_id, path__startswith=community.path, level=roles.MICRO_GRID
    ).defer("boundary")
    return [(n.pk, n.name) for n in grids.order_by("path")], community, building


@never_cache
@require_http_methods(["GET", "POST"])
def steward(request: HttpRequest) -> HttpResponse:
    """Become a steward: the micro-grid (the building's, when the resident came by its QR code; else a community,
    then its micro-grid), as steward or part-time steward with the occupation, name, why, availability, party
    member → ``services.apply``; then "what happens next"."""
    here = reverse("portal:people_steward")
    login, number = _login(request)
    if login is None:
        if request.method == "GET":
            return redirect(_login_url(request.get_full_path()))
        return _needs_login(request, here)
    nodes, community, building = _micro_grids(request)
    context: dict[str, Any] = {
        "login": login,
        "community": community,
        "building": building,
        "applications": _my_applications(login["index"]),
    }
    if community is None:
        context["communities"] = _communities(_jurisdiction(request))
        if request.method == "POST":
            return _refused(request, _("Not sent"), _("Choose a community first."), status=400, back=here)
        return _render(request, "steward.html", context)
    if request.method == "GET":
        mine = building is not None and building.node_id in {pk for pk, _name in nodes}
        initial = {"node": building.node_id} if mine else {}
        context["form"] = StewardForm(nodes=nodes, initial=initial)
        return _render(request, "steward.html", context)
    wait = _throttled("people-apply", login["index"])
    if wait:
        return _too_many(request, wait, here)
    form = StewardForm(request.POST, nodes=nodes)
    context["form"] = form
    if not form.is_valid():
        context["error"] = _("Please check the highlighted fields.")
        return _render(request, "steward.html", context, status=400)
    node = GridNode.objects.get(pk=form.cleaned_data["node"])
    data = form.cleaned_data
    try:
        people_services.apply(
            node=node,
            name=data["name"],
            phone=number,
            why=data["why"],
            availability=data["availability"],
            occupation=data["occupation"],
            kind=data["kind"],
            party_member=data["party_member"],
        )
    except DomainError as exc:
        context["error"] = exc.message
        return _render(request, "steward.html", context, status=exc.http_status)
    return HttpResponseRedirect(reverse("portal:people_applied"), status=303)


@never_cache
@require_GET
def applied(request: HttpRequest) -> HttpResponse:
    """What happens next, and the status of this number's applications."""
    login, _number = _login(request)
    if login is None:
        return redirect(_login_url(reverse("portal:people_applied")))
    return _render(request, "applied.html", {"login": login, "applications": _my_applications(login["index"])})


# ---------------------------------------------------------------------------------------------- become a volunteer


@never_cache
@require_http_methods(["GET", "POST"])
def volunteer(request: HttpRequest) -> HttpResponse:
    """A volunteer's profile (``services.register_volunteer``; again: updated), the report-ins with their status and
    reporting in to a community (我是党员我报到, ``services.report_in``). ``next`` sends them back (an activity)."""
    here = reverse("portal:people_volunteer")
    login, number = _login(request)
    if login is None:
        if request.method == "GET":
            return redirect(_login_url(request.get_full_path()))
        return _needs_login(request, here)
    jurisdiction = _jurisdiction(request)
    if jurisdiction is None:
        return _not_found(request, _("This service is not set up yet."))
    communities = _communities(jurisdiction)
    found = people_services.volunteer_of(jurisdiction_id=jurisdiction.pk, phone=number)
    next_url = safe_next(request, "")
    context: dict[str, Any] = {"login": login, "volunteer": found, "next": next_url, "done": request.GET.get("done")}
    if request.method == "GET":
        initial: dict[str, Any] = {}
        if found is not None:
            initial = {
                "name": found.name,
                "skills": found.skills,
                "availability": found.availability,
                "party_member": found.party_member,
                "work_unit": found.work_unit,
                "home": found.home_id,
            }
        else:
            building = _came_from(request)
            if building is not None:
                initial["home"] = _community_of(building.node).pk
        context["form"] = VolunteerForm(communities=communities, initial=initial)
    else:
        wait = _throttled("people-volunteer", login["index"])
        if wait:
            return _too_many(request, wait, here)
        form = VolunteerForm(request.POST, communities=communities)
        context["form"] = form
        if not form.is_valid():
            context["error"] = _("Please check the highlighted fields.")
            return _volunteer_page(request, context, communities, status=400)
        data = form.cleaned_data
        home = GridNode.objects.filter(pk=data["home"]).first() if data["home"] else None
        try:
            people_services.register_volunteer(
                jurisdiction_id=jurisdiction.pk,
                name=data["name"],
                phone=number,
                skills=data["skills"],
                availability=data["availability"],
                party_member=data["party_member"],
                work_unit=data["work_unit"],
                home=home,
            )
        except DomainError as exc:
            context["error"] = exc.message
            return _volunteer_page(request, context, communities, status=exc.http_status)
        return HttpResponseRedirect(next_url or here + "?done=saved", status=303)
    return _volunteer_page(request, context, communities)


def _volunteer_page(
    request: HttpRequest, context: dict[str, Any], communities: list[tuple[int, str]], *, status: int = 200
) -> HttpResponse:
    found = context.get("volunteer")
    context["report_ins"] = list(found.report_ins.select_related("community")) if found is not None else []
    context["report_form"] = context.get("report_form") or ReportInForm(communities=communities)
    return _render(request, "volunteer.html", context, status=status)


@never_cache
@require_POST
def report_in(request: HttpRequest) -> HttpResponse:
    """我是党员我报到: report in to a community (the community approves)."""
    here = reverse("portal:people_volunteer")
    login, number = _login(request)
    if login is None:
        return _needs_login(request, here)
    found = _volunteer(request, number)
    if found is None:
        return _refused(request, _("Not reported in"), _("Make your volunteer profile first."), status=409, back=here)
    wait = _throttled("people-report-in", login["index"])
    if wait:
        return _too_many(request, wait, here)
    form = ReportInForm(request.POST, communities=_communities(_jurisdiction(request)))
    if not form.is_valid():
        return _refused(request, _("Not reported in"), _("Choose a community."), status=400, back=here)
    community = GridNode.objects.get(pk=form.cleaned_data["community"])
    try:
        people_services.report_in(volunteer=found, community=community)
    except DomainError as exc:
        return _refused(request, _("Not reported in"), exc.message, status=exc.http_status, back=here)
    return HttpResponseRedirect(here + "?done=reported#report-ins", status=303)


# ------------------------------------------------------------------------------------------- activities near me


@require_GET
def activities(request: HttpRequest) -> HttpResponse:
    """Published activities not yet over, of the community of the building the resident came from, or of one they
    chose (``node``); else the communities to choose from."""
    node: GridNode | None = None
    if request.GET.get("node"):
        node = selectors.public_node(request.GET["node"])
        if node is None:
            return _not_found(request, _("This area is not known."))
    elif request.GET.get("b"):
        building = _came_from(request)
        if building is None:
            return _not_found(
                request, _("This QR code is not known. Please check you scanned a code on your building.")
            )
        node = _community_of(building.node)
    elif not request.GET.get("choose"):
        building = _came_from(request)
        node = _community_of(building.node) if building is not None else None
    if node is None:
        return _render(request, "choose.html", {"nodes": _communities(selectors.default_jurisdiction())})
    rows = [{"activity": a, "left": people.places_left(a)} for a in people.public_activities(node)[:MAX_ACTIVITIES]]
    return _render(request, "activities.html", {"node": node, "rows": rows})


def _public_activity(activity_id: int) -> Activity | None:
    try:
        return people.public_activity(activity_id)
    except NotFound:
        return None


def _my_entry(activity: Activity, found: Volunteer | None) -> SignUp | None:
    return people.sign_up_of(activity, found)


@never_cache
@require_GET
def activity_page(request: HttpRequest, activity_id: int) -> HttpResponse:
    found = _public_activity(activity_id)
    if found is None:
        return _not_found(request)
    login, number = _login(request)
    me = _volunteer(request, number) if login else None
    entry = _my_entry(found, me)
    now = timeutil.now()
    context = {
        "activity": found,
        "left": people.places_left(found),
        "login": login,
        "volunteer": me,
        "entry": entry,
        "position": people.waiting_position(entry) if entry is not None else None,
        "open": found.ends > now,
        "started": found.starts <= now,
        "done": request.GET.get("done", ""),
        "here": reverse("portal:activity", args=[found.pk]),
    }
    return _render(request, "activity.html", context)


@never_cache
@require_POST
def sign_up(request: HttpRequest, activity_id: int) -> HttpResponse:
    """Sign up (a place, else the waiting list); a resident without a volunteer profile makes one first and comes
    back here."""
    found = _public_activity(activity_id)
    if found is None:
        return _not_found(request)
    back = reverse("portal:activity", args=[found.pk])
    login, number = _login(request)
    if login is None:
        return _needs_login(request, back)
    me = _volunteer(request, number)
    if me is None:
        return HttpResponseRedirect(reverse("portal:people_volunteer") + "?next=" + back, status=303)
    wait = _throttled("people-sign-up", login["index"])
    if wait:
        return _too_many(request, wait, back)
    try:
        entry = people_services.sign_up(activity=found, volunteer=me)
    except DomainError as exc:
        return _refused(request, _("Not signed up"), exc.message, status=exc.http_status, back=back)
    done = "waiting" if entry.status == SignUpStatus.WAITING else "signed"
    return HttpResponseRedirect(back + f"?done={done}", status=303)


@never_cache
@require_POST
def cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    found = _public_activity(activity_id)
    if found is None:
        return _not_found(request)
    back = reverse("portal:activity", args=[found.pk])
    login, number = _login(request)
    if login is None:
        return _needs_login(request, back)
    me = _volunteer(request, number)
    entry = _my_entry(found, me)
    if me is None or entry is None:
        return _refused(request, _("Not cancelled"), _("You have not signed up."), status=409, back=back)
    try:
        people_services.cancel_sign_up(sign_up=entry, volunteer=me)
    except DomainError as exc:
        return _refused(request, _("Not cancelled"), exc.message, status=exc.http_status, back=back)
    return HttpResponseRedirect(back + "?done=cancelled", status=303)


def _scan(request: HttpRequest, token: str, *, out: bool) -> HttpResponse:
    """The pages the QR codes at the activity open: the phone login, then one tap."""
    field = "check_out_token" if out else "check_in_token"
    found = Activity.objects.select_related("node").filter(**{field: token}).first() if 0 < len(token) <= 32 else None
    if found is None:
        return _not_found(request, _("This code is not known. Please scan the code shown at the activity."))
    here = reverse("portal:activity_checkout" if out else "portal:activity_checkin", args=[token])
    login, number = _login(request)
    if login is None:
        if request.method == "GET":
            return redirect(_login_url(here))
        return _needs_login(request, here)
    me = _volunteer(request, number)
    context: dict[str, Any] = {"activity": found, "login": login, "out": out, "done": False}
    if request.method == "POST":
        if me is None:
            context["error"] = _("You have no place at this activity.")
            return _render(request, "checkin.html", context, status=409)
        try:
            if out:
                context["hours"] = people_services.check_out(token=token, volunteer=me)
            else:
                people_services.check_in(token=token, volunteer=me)
        except NotFound:
            return _not_found(request)
        except DomainError as exc:
            context["error"] = exc.message
            return _render(request, "checkin.html", context, status=exc.http_status)
        context["done"] = True
    else:
        entry = _my_entry(found, me)
        context["already"] = entry is not None and (entry.checked_out_at if out else entry.checked_in_at) is not None
    return _render(request, "checkin.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, token: str) -> HttpResponse:
    return _scan(request, token, out=False)


@never_cache
@require_http_methods(["GET", "POST"])
def check_out(request: HttpRequest, token: str) -> HttpResponse:
    return _scan(request, token, out=True)


# ------------------------------------------------------------------------------------------------------- my hours


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timeutil.local_today().year
    return year if 2000 <= year <= 2100 else timeutil.local_today().year


@never_cache
@require_http_methods(["GET", "POST"])
def hours(request: HttpRequest) -> HttpResponse:
    """My activities and hours by status, the year's approved total, hours outside an activity
    (``services.submit_hours``) and the link to the year's certificate."""
    here = reverse("portal:people_hours")
    login, number = _login(request)
    if login is None:
        if request.method == "GET":
            return redirect(_login_url(here))
        return _needs_login(request, here)
    me = _volunteer(request, number)
    if me is None:
        if request.method == "POST":
            return _refused(request, _("Not sent"), _("Make your volunteer profile first."), status=409, back=here)
        return _render(request, "hours.html", {"login": login, "volunteer": None})
    communities = _communities(_jurisdiction(request))
    context: dict[str, Any] = {"login": login, "volunteer": me, "done": request.GET.get("done", "")}
    status = 200
    if request.method == "POST":
        wait = _throttled("people-hours", login["index"])
        if wait:
            return _too_many(request, wait, here)
        form = HoursForm(request.POST, communities=communities)
        if form.is_valid():
            data = form.cleaned_data
            try:
                people_services.submit_hours(
                    volunteer=me,
                    community=GridNode.objects.get(pk=data["community"]),
                    day=data["day"],
                    hours=data["hours"],
                    description=data["description"],
                )
            except DomainError as exc:
                context["error"] = exc.message
                status = exc.http_status
            else:
                return HttpResponseRedirect(here + "?done=submitted", status=303)
        else:
            context["error"] = _("Please check the highlighted fields.")
            status = 400
    else:
        initial = {"community": me.home_id} if me.home_id else {}
        form = HoursForm(communities=communities, initial=initial)
    year = _year(request)
    rows = list(people.hours_of(me)[:MAX_ROWS])
    context.update(
        form=form,
        year=year,
        total=people.approved_hours(me, year=year),
        submitted=[r for r in rows if r.status == HoursStatus.SUBMITTED],
        approved=[r for r in rows if r.status == HoursStatus.APPROVED],
        rejected=[r for r in rows if r.status == HoursStatus.REJECTED],
        sign_ups=[{"entry": e, "position": people.waiting_position(e)} for e in people.sign_ups_of(me)[:MAX_ROWS]],
        years=sorted({r.day.year for r in rows if r.status == HoursStatus.APPROVED}, reverse=True),
    )
    return _render(request, "hours.html", context, status=status)


def certificate_pdf(volunteer: Volunteer, *, year: int) -> bytes:
    """The yearly certificate: the volunteer's name (their own document), the year's approved hours and what they
    were for, the communities, the date. Approved hours only."""
    from weasyprint import CSS, HTML  # imported here: it loads Pango, which a web worker needs only for PDFs

    rows = list(people.hours_of(volunteer, year=year).filter(status=HoursStatus.APPROVED).order_by("day", "pk"))
    communities = sorted({r.community.name for r in rows})
    if volunteer.home is not None and volunteer.home.name not in communities:
        communities.insert(0, volunteer.home.name)
    context = {
        "site_name": settings.GONGZHI_SITE_NAME,
        "name": volunteer.name,
        "year": year,
        "total": sum((r.hours for r in rows), Decimal(0)),
        "rows": rows,
        "activities": len({r.activity_id for r in rows if r.activity_id}),
        "communities": communities,
        "date": f"{timeutil.local_today():%Y年%m月%d日}",
    }
    html = render_to_string("portal/people/certificate.html", context)
    return bytes(HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(CERTIFICATE_CSS))]))


@never_cache
@require_GET
def certificate(request: HttpRequest, year: int) -> HttpResponse:
    here = reverse("portal:people_certificate", args=[year])
    login, number = _login(request)
    if login is None:
        return redirect(_login_url(here))
    me = _volunteer(request, number)
    if me is None or not 2000 <= year <= 9999 or not people.approved_hours(me, year=year):
        raise Http404
    response = HttpResponse(certificate_pdf(me, year=year), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="volunteer-{year}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
