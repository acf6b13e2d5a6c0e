"""The console's people pages (issue 28): steward applications and their joint vetting (联审), appointment with the
activation text message, stewards (commitments, training, assessments, stepping down), volunteers and party members
reporting in (我是党员我报到), teams, activities with their QR sheet, service hours to approve, the party units
(四级架构) and compound heads (一院三长) of a community, and leaders' contact points (领导联系点) with the problems they
take on from a case or a need.

Thin: ``volunteers.selectors`` read in the viewer's scope (outside it: 404, like a missing record) and
``volunteers.services`` write and refuse — 404 not found, 409 a step the state forbids, 400 bad input; the page comes
back with the reason and nothing is written. ``volunteers`` imports no other domain: a case or a need a leader takes
on is read here (``cases.selectors``, ``lists.selectors``) and handed over by id, tracking code and title. Every page
is ``no-store``: applicants' and volunteers' names and phones show here (masked, except to the staff who must call an
applicant).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gongzhi.analytics import formulas
from gongzhi.cases import selectors as case_selectors
from gongzhi.cases import transitions as case_states
from gongzhi.console import people_forms as forms
from gongzhi.console import selectors as console_selectors
from gongzhi.core import qr, timeutil
from gongzhi.core.errors import DomainError, NotFound, gettext_noop
from gongzhi.core.http import known_id
from gongzhi.core.privacy import mask_name, mask_phone
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode, StaffPost
from gongzhi.lists import selectors as lists_selectors
from gongzhi.lists.choices import NeedStatus
from gongzhi.notifications import services as notifications
from gongzhi.stations import selectors as station_selectors
from gongzhi.stations import services as station_services
from gongzhi.stations.models import Station
from gongzhi.volunteers import policies, selectors, services
from gongzhi.volunteers.choices import (
    ApplicationStatus,
    PartyLevel,
    ProblemKind,
    ReportInStatus,
    SignUpStatus,
    StewardStatus,
    VettingLevel,
)
from gongzhi.volunteers.models import Activity, Application, Head, PartyUnit, Steward, TakenOn, Team

MAX_ROWS = 200
MAX_NODES = 500
# The resident pages the activity's QR codes lead to (their paths, as printed on the sheet).
CHECK_IN_PATH = "/r/activities/checkin/{token}/"
CHECK_OUT_PATH = "/r/activities/checkout/{token}/"
APPOINTED_SMS = "volunteers.appointed"


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"exception": message}, status=403)


def _bench(request: HttpRequest) -> console_selectors.Workbenches:
    return console_selectors.workbenches(request.user)


def _denied(request: HttpRequest) -> HttpResponse | None:
    if not _bench(request).people:
        return _forbidden(request, _("Your posts keep no stewards or volunteers."))
    return None


def _nodes(user: Any, *, level: str | None = None) -> QuerySet[GridNode]:
    """The grid nodes the viewer keeps the people of (people.manage), bounded."""
    condition = grid_selectors.capability_condition(user, roles.PEOPLE_MANAGE)
    if condition is None:
        return GridNode.objects.none()
    rows = GridNode.objects.filter(condition)
    if level:
        rows = rows.filter(level=level)
    ids = list(rows.order_by("jurisdiction_id", "path").values_list("pk", flat=True)[:MAX_NODES])
    return GridNode.objects.filter(pk__in=ids).order_by("jurisdiction_id", "path")


def _community(request: HttpRequest) -> tuple[GridNode | None, QuerySet[GridNode]]:
    """The community chosen (?community=, else the first in scope) among the viewer's communities."""
    communities = _nodes(request.user, level=roles.COMMUNITY)
    chosen = None
    raw = request.GET.get("community") or request.POST.get("community_id")
    if raw:
        chosen = communities.filter(pk=_int(raw)).first()
        if chosen is None:
            raise Http404(_("No such community in your area."))
    return chosen or communities.first(), communities


def _int(value: Any) -> int:
    try:
        return known_id(value, gettext_noop("No such record in your area."))
    except NotFound as exc:
        raise Http404(exc.message) from None


def _refused(exc: DomainError) -> None:
    if isinstance(exc, NotFound):
        raise Http404(exc.message)


def _or_404(read: Any, *args: Any) -> Any:
    try:
        return read(*args)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _under(node: GridNode) -> Q:
    return Q(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)


# ---------------------------------------------------------------------------------------------------- applications


@login_required
@never_cache
def applications(request: HttpRequest) -> HttpResponse:
    """The steward applications in scope, by status (tabs with counts); names and phones masked."""
    if (denied := _denied(request)) is not None:
        return denied
    rows = selectors.applications_visible_to(request.user)
    status = request.GET.get("status", "")
    status = status if status in ApplicationStatus.values else ""
    counts = dict(rows.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    tabs = [
        {"status": value, "label": label, "count": counts.get(value, 0), "current": value == status}
        for value, label in ApplicationStatus.choices
    ]
    if status:
        rows = rows.filter(status=status)
    listed = [
        {
            "application": a,
            "name": mask_name(a.name),
            "phone": mask_phone(a.phone),
            "words": {x.level: x for x in a.approvals.all()},
        }
        for a in rows.order_by("-created_at", "-pk")[:MAX_ROWS]
    ]
    context = {"rows": listed, "tabs": tabs, "status": status, "total": sum(counts.values()), "here": "applications"}
    return render(request, "console/people/applications.html", context)


def _suggested_username(application: Application) -> str:
    users = get_user_model()
    base = f"gj{application.pk:04d}"
    candidate, n = base, 1
    while users.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _application_context(request: HttpRequest, found: Application, **overrides: Any) -> dict[str, Any]:
    user = request.user
    manage = policies.can_manage(user, found.node)
    words = list(found.approvals.select_related("by").order_by("at", "pk"))
    spoken = {w.level for w in words}
    levels = [(x, VettingLevel(x).label) for x in sorted(policies.vetting_levels(user, found.node) - spoken)]
    context: dict[str, Any] = {
        "application": found,
        "manage": manage,
        # The staff who vet and appoint call the applicant: they see the name and number; nobody else does.
        "name": found.name if manage else mask_name(found.name),
        "phone": found.phone if manage else mask_phone(found.phone),
        "words": words,
        "levels": levels,
        "vetting": manage and bool(levels) and found.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.VETTING),
        "appointable": manage and found.status == ApplicationStatus.APPROVED,
        "vet_form": forms.VetForm(),
        "appoint_form": forms.AppointForm(initial={"username": _suggested_username(found)}),
        "steward": Steward.objects.filter(application=found).first(),
        "error": "",
        "here": "applications",
    }
    context.update(overrides)
    return context


def _application_page(request: HttpRequest, found: Application, *, status: int = 200, **kw: Any) -> HttpResponse:
    context = _application_context(request, found, **kw)
    return render(request, "console/people/application.html", context, status=status)


@login_required
@never_cache
def application(request: HttpRequest, application_id: int) -> HttpResponse:
    return _application_page(request, _or_404(selectors.application_for, request.user, application_id))


@login_required
@never_cache
@require_POST
def application_vet(request: HttpRequest, application_id: int) -> HttpResponse:
    """One side's word (the side from the viewer's post: a community's staff speak for the community, a street's for
    the street), with the reason."""
    found = _or_404(selectors.application_for, request.user, application_id)
    form = forms.VetForm(request.POST)
    levels = sorted(policies.vetting_levels(request.user, found.node))
    level = request.POST.get("level") or (levels[0] if len(levels) == 1 else "")
    if not form.is_valid():
        return _application_page(request, found, status=400, error=_("Decide and give the reason."), vet_form=form)
    try:
        services.vet(
            application=found,
            actor=request.user,
            level=level,
            approved=form.approved,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        _refused(exc)
        found.refresh_from_db()
        return _application_page(request, found, status=exc.http_status, error=exc.message, vet_form=form)
    messages.success(request, _("Your side's word is recorded."))
    return redirect("console:people_application", found.pk)


def activation_link(request: HttpRequest | None, user: Any) -> str:
    """The absolute address where a new account sets its password (``accounts:activate``; GONGZHI_PUBLIC_URL)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return qr.base_url(request).rstrip("/") + reverse("accounts:activate", args=[uid, token])


@login_required
@never_cache
@require_POST
def application_appoint(request: HttpRequest, application_id: int) -> HttpResponse:
    """Appoint an approved applicant: the account, the post and the card; once committed, a text message to the
    applicant's phone with their user name and the link to set a password."""
    found = _or_404(selectors.application_for, request.user, application_id)
    form = forms.AppointForm(request.POST)
    if not form.is_valid():
        return _application_page(
            request, found, status=400, error=_("Check the appointment's fields."), appoint_form=form
        )
    data = form.cleaned_data
    try:
        with transaction.atomic():
            steward = services.appoint(application=found, actor=request.user, **data)
            # Queued in the same transaction: delivered once it commits, never for an appointment undone.
            notifications.send_sms(
                phone=found.phone,
                kind=APPOINTED_SMS,
                context={
                    "title": steward.post.title if steward.post else "",
                    "node": found.node.name,
                    "username": steward.user.get_username(),
                    "link": activation_link(request, steward.user),
                },
                subject=f"steward:{steward.pk}",
            )
    except DomainError as exc:
        _refused(exc)
        found.refresh_from_db()
        return _application_page(request, found, status=exc.http_status, error=exc.message, appoint_form=form)
    messages.success(
        request,
        _("Appointed: %(user)s. A text message with the link to set a password is on its way.")
        % {"user": steward.user.get_username()},
    )
    return redirect("console:people_steward", steward.pk)


# ---------------------------------------------------------------------------------------------------- stewards


@login_required
@never_cache
def stewards(request: HttpRequest) -> HttpResponse:
    if (denied := _denied(request)) is not None:
        return denied
    status = request.GET.get("status", StewardStatus.ACTIVE)
    status = status if status in StewardStatus.values else StewardStatus.ACTIVE
    rows = selectors.stewards_visible_to(request.user)
    counts = dict(rows.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    tabs = [
        {"status": value, "label": label, "count": counts.get(value, 0), "current": value == status}
        for value, label in StewardStatus.choices
    ]
    context = {
        "rows": list(rows.filter(status=status).order_by("node__path", "pk")[:MAX_ROWS]),
        "tabs": tabs,
        "status": status,
        "here": "stewards",
    }
    return render(request, "console/people/stewards.html", context)


def _steward_page(request: HttpRequest, found: Steward, *, status: int = 200, **overrides: Any) -> HttpResponse:
    assessments = [
        {"a": a, "facts": sorted((a.facts or {}).items())} for a in found.assessments.order_by("-first_day", "pk")
    ]
    context: dict[str, Any] = {
        "steward": found,
        "post": found.post,
        "serving": found.status == StewardStatus.ACTIVE,
        "trainings": list(found.trainings.order_by("-day", "-pk")),
        "assessments": assessments,
        "commitments_form": forms.CommitmentsForm(
            initial={
                "visits_per_month": found.visits_per_month,
                "hours_per_month": found.hours_per_month,
                "station_duty": found.station_duty,
            }
        ),
        "training_form": forms.TrainingForm(initial={"day": timeutil.local_today()}),
        "step_down_form": forms.StepDownForm(),
        "shifts": station_selectors.shifts_of_post(found.post) if found.post else [],
        "shift_form": forms.StewardShiftForm(stations=_community_stations(found)),
        "error": "",
        "here": "stewards",
    }
    context.update(overrides)
    return render(request, "console/people/steward.html", context, status=status)


@login_required
@never_cache
def steward(request: HttpRequest, steward_id: int) -> HttpResponse:
    return _steward_page(request, _or_404(selectors.steward_for, request.user, steward_id))


def _steward_write(request: HttpRequest, steward_id: int, form_class: Any, key: str, write: Any) -> HttpResponse:
    found = _or_404(selectors.steward_for, request.user, steward_id)
    form = form_class(request.POST)
    if not form.is_valid():
        return _steward_page(request, found, status=400, error=_("Check the fields."), **{key: form})
    try:
        write(found, form.cleaned_data)
    except DomainError as exc:
        _refused(exc)
        found.refresh_from_db()
        return _steward_page(request, found, status=exc.http_status, error=exc.message, **{key: form})
    messages.success(request, _("Saved."))
    return redirect("console:people_steward", found.pk)


@login_required
@never_cache
@require_POST
def steward_commitments(request: HttpRequest, steward_id: int) -> HttpResponse:
    return _steward_write(
        request,
        steward_id,
        forms.CommitmentsForm,
        "commitments_form",
        lambda s, d: services.set_commitments(steward=s, actor=request.user, **d),
    )


@login_required
@never_cache
@require_POST
def steward_training(request: HttpRequest, steward_id: int) -> HttpResponse:
    return _steward_write(
        request,
        steward_id,
        forms.TrainingForm,
        "training_form",
        lambda s, d: services.record_training(steward=s, actor=request.user, **d),
    )


@login_required
@never_cache
@require_POST
def steward_step_down(request: HttpRequest, steward_id: int) -> HttpResponse:
    """The steward steps down: the post ends at once (no case access from their next request), the card goes."""
    return _steward_write(
        request,
        steward_id,
        forms.StepDownForm,
        "step_down_form",
        lambda s, d: services.step_down(steward=s, actor=request.user, reason=d["reason"]),
    )


def _community_stations(found: Steward) -> list[Station]:
    """The active stations of the steward's community (its subtree), where their shifts may be."""
    community = grid_selectors.ancestors(found.node, include_self=True).filter(level=roles.COMMUNITY).first()
    if community is None:
        return []
    return list(station_selectors.public_stations(community)[:MAX_ROWS])


@login_required
@never_cache
@require_POST
def steward_shift_add(request: HttpRequest, steward_id: int) -> HttpResponse:
    """Put a serving steward's post on the rota of a station of their community: ``stations.services.add_shift``
    decides who may (the station's and the post's nodes both in the viewer's station.manage) and refuses."""
    found = _or_404(selectors.steward_for, request.user, steward_id)
    form = forms.StewardShiftForm(request.POST, stations=_community_stations(found))
    if found.post is None or not found.post.active or found.status != StewardStatus.ACTIVE:
        return _steward_page(
            request, found, status=409, error=_("Only a serving steward can be put on a rota."), shift_form=form
        )
    if not form.is_valid():
        return _steward_page(request, found, status=400, error=_("Check the shift's fields."), shift_form=form)
    data = form.cleaned_data
    try:
        station_services.add_shift(
            actor=request.user,
            station=data["station"],
            post=found.post,
            weekday=data["weekday"],
            starts=data["starts"],
            ends=data["ends"],
        )
    except DomainError as exc:
        _refused(exc)
        return _steward_page(request, found, status=exc.http_status, error=exc.message, shift_form=form)
    messages.success(request, _("Shift added to the station's rota."))
    return redirect("console:people_steward", found.pk)


@login_required
@never_cache
@require_POST
def steward_shift_remove(request: HttpRequest, steward_id: int, shift_id: int) -> HttpResponse:
    """Take one of the steward's shifts off its station's rota (``stations.services.remove_shift`` decides)."""
    found = _or_404(selectors.steward_for, request.user, steward_id)
    wanted = _int(shift_id)
    shifts = station_selectors.shifts_of_post(found.post) if found.post else []
    shift = next((s for s in shifts if s.pk == wanted), None)
    if shift is None:
        raise Http404(_("That shift is not on this steward's rota."))
    try:
        station_services.remove_shift(actor=request.user, shift=shift)
    except DomainError as exc:
        _refused(exc)
        return _steward_page(request, found, status=exc.http_status, error=exc.message)
    messages.success(request, _("Shift removed."))
    return redirect("console:people_steward", found.pk)


# ---------------------------------------------------------------------------------------------------- volunteers


def _volunteer_rows(community: GridNode, year: int) -> list[dict[str, Any]]:
    return [
        {
            "volunteer": v,
            "name": mask_name(v.name),
            "phone": mask_phone(v.phone),
            "hours": selectors.approved_hours(v, year=year),
        }
        for v in selectors.volunteers_of(community).order_by("pk")[:MAX_ROWS]
    ]


@login_required
@never_cache
def volunteers(request: HttpRequest) -> HttpResponse:
    """Report-ins to decide, the community's volunteers (masked) with their approved hours this year, and teams."""
    if (denied := _denied(request)) is not None:
        return denied
    community, communities = _community(request)
    pending = selectors.report_ins_visible_to(request.user).filter(status=ReportInStatus.PENDING)
    year = timeutil.local_today().year
    context = {
        "report_ins": [
            {"r": r, "name": mask_name(r.volunteer.name), "phone": mask_phone(r.volunteer.phone)}
            for r in pending.order_by("created_at", "pk")[:MAX_ROWS]
        ],
        "community": community,
        "communities": communities,
        "rows": _volunteer_rows(community, year) if community else [],
        "year": year,
        "teams": list(Team.objects.filter(community=community).annotate(n=Count("members"))) if community else [],
        "team_form": forms.TeamForm(communities=communities, initial={"community": community}),
        "decision_form": forms.DecisionForm(),
        "error": "",
        "here": "volunteers",
    }
    return render(request, "console/people/volunteers.html", context)


@login_required
@never_cache
@require_POST
def report_in_decide(request: HttpRequest, report_in_id: int) -> HttpResponse:
    found = selectors.report_ins_visible_to(request.user).filter(pk=report_in_id).first()
    if found is None:
        raise Http404(_("No such record in your area."))
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _message_back(request, _("Say why it is refused."), "console:people_volunteers", status=400)
    try:
        services.decide_report_in(
            report_in=found, actor=request.user, approved=form.approved, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        _refused(exc)
        return _message_back(request, exc.message, "console:people_volunteers", status=exc.http_status)
    messages.success(request, _("Report-in approved.") if form.approved else _("Report-in refused."))
    return redirect(reverse("console:people_volunteers") + f"?community={found.community_id}")


def _message_back(request: HttpRequest, message: str, name: str, *, status: int) -> HttpResponse:
    """A refused decision: the message on a plain page with the way back (nothing was written)."""
    context = {"message": message, "back": reverse(name)}
    return render(request, "console/people/refused.html", context, status=status)


@login_required
@never_cache
@require_POST
def team_new(request: HttpRequest) -> HttpResponse:
    if (denied := _denied(request)) is not None:
        return denied
    communities = _nodes(request.user, level=roles.COMMUNITY)
    form = forms.TeamForm(request.POST, communities=communities)
    if not form.is_valid():
        return _message_back(
            request, _("Choose the community and name the team."), "console:people_volunteers", status=400
        )
    try:
        team = services.create_team(
            actor=request.user, community=form.cleaned_data["community"], name=form.cleaned_data["name"]
        )
    except DomainError as exc:
        _refused(exc)
        return _message_back(request, exc.message, "console:people_volunteers", status=exc.http_status)
    messages.success(request, _("Team created."))
    return redirect("console:people_team", team.pk)


def _team_or_404(request: HttpRequest, team_id: int) -> Team:
    found = Team.objects.select_related("community").filter(pk=team_id).first()
    if found is None or not policies.can_manage(request.user, found.community):
        raise Http404(_("No such team in your area."))
    return found


@login_required
@never_cache
def team(request: HttpRequest, team_id: int) -> HttpResponse:
    """A team and its members, chosen among the community's volunteers (masked)."""
    found = _team_or_404(request, team_id)
    model = found.members.model
    ids = {*selectors.volunteers_of(found.community).values_list("pk", flat=True)[:MAX_ROWS]}
    ids |= set(found.members.values_list("pk", flat=True))
    volunteers_qs = model.objects.filter(pk__in=ids).order_by("pk")
    labels = {
        v.pk: f"{mask_name(v.name)} {mask_phone(v.phone)}{' · ' + v.skills if v.skills else ''}" for v in volunteers_qs
    }
    form = forms.MembersForm(
        request.POST or None, volunteers=volunteers_qs, labels=labels, initial={"members": list(found.members.all())}
    )
    status, error = 200, ""
    if request.method == "POST":
        if form.is_valid():
            try:
                services.set_team_members(team=found, actor=request.user, volunteers=form.cleaned_data["members"])
            except DomainError as exc:
                _refused(exc)
                status, error = exc.http_status, exc.message
            else:
                messages.success(request, _("Members saved."))
                return redirect("console:people_team", found.pk)
        else:
            status, error = 400, _("Choose among the community's volunteers.")
    members = [
        {"name": mask_name(v.name), "phone": mask_phone(v.phone), "skills": v.skills} for v in found.members.all()
    ]
    context = {"team": found, "form": form, "members": members, "error": error, "here": "volunteers"}
    return render(request, "console/people/team.html", context, status=status)


# ---------------------------------------------------------------------------------------------------- activities


@login_required
@never_cache
def activities(request: HttpRequest) -> HttpResponse:
    if (denied := _denied(request)) is not None:
        return denied
    rows = selectors.activities_visible_to(request.user).order_by("-starts", "-pk")[:MAX_ROWS]
    listed = [{"a": a, "left": selectors.places_left(a)} for a in rows]
    return render(request, "console/people/activities.html", {"rows": listed, "here": "activities"})


def _teams_in(communities: QuerySet[GridNode]) -> QuerySet[Team]:
    return Team.objects.filter(community__in=communities).select_related("community").order_by("community", "name")


@login_required
@never_cache
def activity_new(request: HttpRequest) -> HttpResponse:
    if (denied := _denied(request)) is not None:
        return denied
    communities = _nodes(request.user, level=roles.COMMUNITY)
    form = forms.ActivityForm(request.POST or None, communities=communities, teams=_teams_in(communities))
    status, error = 200, ""
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.create_activity(actor=request.user, **data)
            except DomainError as exc:
                _refused(exc)
                status, error = exc.http_status, exc.message
            else:
                messages.success(request, _("Activity published."))
                return redirect("console:people_activity", created.pk)
        else:
            status = 400
    context = {"form": form, "error": error, "here": "activities"}
    return render(request, "console/people/activity_new.html", context, status=status)


@login_required
@never_cache
def activity(request: HttpRequest, activity_id: int) -> HttpResponse:
    """An activity: places left, the sign-ups (masked) with their status and check-in/out times, the waiting list in
    its order."""
    found: Activity = _or_404(selectors.activity_for, request.user, activity_id)
    entries = list(found.sign_ups.select_related("volunteer").order_by("signed_up_at", "pk"))
    waiting = 0
    rows = []
    for entry in entries:
        position = None
        if entry.status == SignUpStatus.WAITING:
            waiting += 1
            position = waiting
        rows.append(
            {
                "entry": entry,
                "name": mask_name(entry.volunteer.name),
                "phone": mask_phone(entry.volunteer.phone),
                "position": position,
            }
        )
    context = {
        "activity": found,
        "rows": rows,
        "left": selectors.places_left(found),
        "waiting": waiting,
        "here": "activities",
    }
    return render(request, "console/people/activity.html", context)


def activity_urls(request: HttpRequest | None, found: Activity) -> tuple[str, str]:
    base = qr.base_url(request).rstrip("/")
    return (
        base + CHECK_IN_PATH.format(token=found.check_in_token),
        base + CHECK_OUT_PATH.format(token=found.check_out_token),
    )


@login_required
@never_cache
def activity_sheet(request: HttpRequest, activity_id: int) -> HttpResponse:
    """The printable sheet: the check-in and the check-out QR codes of the resident pages, the place and the time."""
    found: Activity = _or_404(selectors.activity_for, request.user, activity_id)
    check_in, check_out = activity_urls(request, found)
    context = {
        "activity": found,
        "check_in": check_in,
        "check_out": check_out,
        "check_in_qr": qr.qr_data_uri(check_in),
        "check_out_qr": qr.qr_data_uri(check_out),
        "unreachable": qr.unreachable_host(check_in),
    }
    return render(request, "console/people/activity_sheet.html", context)


@login_required
@never_cache
@require_POST
def activity_cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    found: Activity = _or_404(selectors.activity_for, request.user, activity_id)
    back = reverse("console:people_activity", args=[found.pk])
    try:
        services.cancel_activity(activity=found, actor=request.user)
    except DomainError as exc:
        _refused(exc)
        return render(
            request, "console/people/refused.html", {"message": exc.message, "back": back}, status=exc.http_status
        )
    messages.success(request, _("Activity cancelled."))
    return redirect(back)


# ---------------------------------------------------------------------------------------------------- hours


@login_required
@never_cache
def hours(request: HttpRequest) -> HttpResponse:
    """The submitted hours in scope (from a check-out, or submitted by the volunteer) to approve or refuse."""
    if (denied := _denied(request)) is not None:
        return denied
    rows = [
        {"h": h, "name": mask_name(h.volunteer.name), "phone": mask_phone(h.volunteer.phone)}
        for h in selectors.hours_to_decide(request.user)[:MAX_ROWS]
    ]
    context = {"rows": rows, "decision_form": forms.DecisionForm(), "here": "hours"}
    return render(request, "console/people/hours.html", context)


@login_required
@never_cache
@require_POST
def hours_decide(request: HttpRequest, hours_id: int) -> HttpResponse:
    found = selectors.hours_to_decide(request.user).filter(pk=hours_id).first()
    if found is None:
        raise Http404(_("No such record in your area."))
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _message_back(request, _("Say why the hours are refused."), "console:people_hours", status=400)
    try:
        services.decide_hours(
            hours=found, actor=request.user, approved=form.approved, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        _refused(exc)
        return _message_back(request, exc.message, "console:people_hours", status=exc.http_status)
    messages.success(request, _("Hours approved.") if form.approved else _("Hours refused."))
    return redirect("console:people_hours")


# ---------------------------------------------------------------------------------------------------- party, heads


def _tree(units: list[PartyUnit]) -> list[dict[str, Any]]:
    """The units in tree order (committee, its branches, their groups, their households), each with its depth."""
    children: dict[int | None, list[PartyUnit]] = {}
    known = {u.pk for u in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in known else None
        children.setdefault(parent, []).append(unit)
    out: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: (list(PartyLevel.values).index(u.level), u.name)):
            out.append({"unit": unit, "depth": min(depth, 3)})
            walk(unit.pk, depth + 1)

    walk(None, 0)
    return out


def _party_context(request: HttpRequest, community: GridNode | None, communities: Any, **kw: Any) -> dict[str, Any]:
    units = list(PartyUnit.objects.filter(_under(community)).select_related("node")) if community else []
    nodes = (
        GridNode.objects.filter(jurisdiction_id=community.jurisdiction_id, path__startswith=community.path).order_by(
            "path"
        )[:MAX_NODES]
        if community
        else GridNode.objects.none()
    )
    node_qs = GridNode.objects.filter(pk__in=[n.pk for n in nodes]).order_by("path")
    unit_qs = PartyUnit.objects.filter(pk__in=[u.pk for u in units])
    context = {
        "community": community,
        "communities": communities,
        "tree": _tree(units),
        "heads": list(Head.objects.filter(_under(community)).select_related("node")) if community else [],
        "unit_form": forms.PartyUnitForm(nodes=node_qs, units=unit_qs, initial={"public": True}),
        "head_form": forms.HeadForm(nodes=node_qs),
        "error": "",
        "here": "party",
    }
    context.update(kw)
    return context


@login_required
@never_cache
def party(request: HttpRequest) -> HttpResponse:
    """The party units of a community (四级架构, shown as an indented tree) and its compound heads (一院三长)."""
    if (denied := _denied(request)) is not None:
        return denied
    community, communities = _community(request)
    return render(request, "console/people/party.html", _party_context(request, community, communities))


def _party_write(request: HttpRequest, key: str, build: Any, write: Any) -> HttpResponse:
    if (denied := _denied(request)) is not None:
        return denied
    community, communities = _community(request)
    if community is None:
        raise Http404(_("No such community in your area."))
    context = _party_context(request, community, communities)
    bound = build(context)
    status, error = 400, _("Check the fields.")
    if bound.is_valid():
        try:
            write(bound.cleaned_data)
        except DomainError as exc:
            _refused(exc)
            status, error = exc.http_status, exc.message
        else:
            messages.success(request, _("Saved."))
            return redirect(reverse("console:people_party") + f"?community={community.pk}")
    context.update({key: bound, "error": error})
    return render(request, "console/people/party.html", context, status=status)


@login_required
@never_cache
@require_POST
def party_unit_new(request: HttpRequest) -> HttpResponse:
    return _party_write(
        request,
        "unit_form",
        lambda c: forms.PartyUnitForm(
            request.POST, nodes=c["unit_form"].fields["node"].queryset, units=c["unit_form"].fields["parent"].queryset
        ),
        lambda d: services.add_party_unit(actor=request.user, **d),
    )


@login_required
@never_cache
@require_POST
def head_new(request: HttpRequest) -> HttpResponse:
    return _party_write(
        request,
        "head_form",
        lambda c: forms.HeadForm(request.POST, nodes=c["head_form"].fields["node"].queryset),
        lambda d: services.add_head(actor=request.user, **d),
    )


# ---------------------------------------------------------------------------------------------------- contact points


def _leaders(jurisdiction_ids: list[int]) -> QuerySet[Any]:
    users = get_user_model()
    ids = StaffPost.objects.filter(role=roles.LEADER, active=True, jurisdiction_id__in=jurisdiction_ids).values_list(
        "user_id", flat=True
    )
    return users.objects.filter(pk__in=ids, is_active=True).order_by("username")


def _jurisdictions(user: Any) -> list[int]:
    return sorted({n.jurisdiction_id for n in grid_selectors.home_nodes(user)})


def _problem_status(request: HttpRequest, problem: TakenOn) -> str:
    """The case's or need's status as the viewer sees it (read by id); a solved one records its day."""
    solved: date | None = None
    label = ""
    try:
        if problem.kind == ProblemKind.CASE:
            case = case_selectors.case_for(request.user, problem.ref_id)
            label = str(case.get_status_display())
            if case.status in (case_states.RESOLVED, case_states.CLOSED):
                at = case.resolved_at or case.closed_at or case.updated_at
                solved = timeutil.local(at).date() if at else None
        else:
            need = lists_selectors.need_for(request.user, problem.ref_id)
            label = str(need.get_status_display())
            if need.status in (NeedStatus.SERVED, NeedStatus.CLOSED):
                solved = timeutil.local(need.updated_at).date()
    except NotFound:
        return ""
    if solved != problem.solved_on:
        services.mark_solved(taken_on=problem, solved_on=solved)
        problem.solved_on = solved
    return label


def _point_rows(request: HttpRequest, points: list[Any], *, read_status: bool) -> list[dict[str, Any]]:
    rows = []
    for point in points:
        problems = [
            {"p": p, "status": _problem_status(request, p) if read_status else ""}
            for p in point.problems.all().order_by("taken_on", "pk")
        ]
        solved = sum(1 for x in problems if x["p"].solved_on is not None and x["p"].solved_on.year == point.year)
        rows.append({"point": point, "problems": problems, "solved": solved})
    return rows


@login_required
@never_cache
def contact_points(request: HttpRequest) -> HttpResponse:
    """For contact.manage: add a leader's contact point and see every point of the year; for a leader: their own
    points, the problems taken on with their status, and the progress towards the targets."""
    bench = _bench(request)
    if not bench.contacts:
        return _forbidden(request, _("Contact points are for leaders and the command centre."))
    year = _int(request.GET.get("year") or timeutil.local_today().year)
    user = request.user
    manage = policies.can_manage_contacts(user)
    own = _point_rows(request, list(selectors.contact_points_of(user, year=year)), read_status=True)
    mine = [
        row
        for j in sorted({r["point"].jurisdiction_id for r in own})
        for row in selectors.contact_rows(jurisdiction_id=j, year=year)
        if row.leader_id == user.pk
    ]
    jurisdictions = _jurisdictions(user)
    context: dict[str, Any] = {
        "year": year,
        "manage": manage,
        "own": own,
        "progress": formulas.contact_progress(mine) if own else None,
        "all": [],
        "all_progress": None,
        "form": None,
        "error": "",
    }
    if manage:
        rows = [p for j in jurisdictions for p in selectors.contact_points(jurisdiction_id=j, year=year)]
        context["all"] = _point_rows(request, rows, read_status=False)
        context["all_progress"] = formulas.contact_progress(
            [r for j in jurisdictions for r in selectors.contact_rows(jurisdiction_id=j, year=year)]
        )
        context["form"] = _contact_form(user, None, year)
    return render(request, "console/people/contact_points.html", context)


def _contact_form(user: Any, data: Any, year: int) -> forms.ContactPointForm:
    jurisdictions = _jurisdictions(user)
    nodes = GridNode.objects.filter(
        jurisdiction_id__in=jurisdictions, level__in=(roles.STREET, roles.COMMUNITY, "village")
    ).order_by("jurisdiction_id", "path")[:MAX_NODES]
    return forms.ContactPointForm(
        data,
        leaders=_leaders(jurisdictions),
        nodes=GridNode.objects.filter(pk__in=[n.pk for n in nodes]).order_by("path"),
        initial={"year": year, "target": 3},
    )


@login_required
@never_cache
@require_POST
def contact_point_new(request: HttpRequest) -> HttpResponse:
    if not policies.can_manage_contacts(request.user):
        return _forbidden(request, _("Only administrators and the command centre set contact points."))
    form = _contact_form(request.user, request.POST, timeutil.local_today().year)
    if not form.is_valid():
        return _message_back(request, _("Check the contact point's fields."), "console:people_contacts", status=400)
    data = form.cleaned_data
    try:
        services.add_contact_point(
            actor=request.user,
            leader=data["leader"],
            kind=data["kind"],
            year=data["year"],
            name=data["name"] or "",
            node=data["node"],
            target=data["target"],
        )
    except DomainError as exc:
        _refused(exc)
        return _message_back(request, exc.message, "console:people_contacts", status=exc.http_status)
    messages.success(request, _("Contact point added."))
    return redirect(reverse("console:people_contacts") + f"?year={data['year']}")


@login_required
@never_cache
@require_POST
def take_on(request: HttpRequest) -> HttpResponse:
    """A leader takes a case or a need on at one of their contact points: the case (or need) is read in the leader's
    sight and handed over by id, tracking code and title."""
    form = forms.TakeOnForm(request.POST)
    if not form.is_valid():
        return _message_back(request, _("Choose the contact point."), "console:people_contacts", status=400)
    data = form.cleaned_data
    if data["kind"] == ProblemKind.CASE:
        case = _or_404(case_selectors.case_for, request.user, data["ref_id"])
        code, title, back = case.tracking_code, case.title, reverse("console:case", args=[case.pk])
    else:
        need = _or_404(lists_selectors.need_for, request.user, data["ref_id"])
        code, title, back = "", need.title, reverse("console:lists_need", args=[need.pk])
    try:
        services.take_on(
            contact_point=data["contact_point"],
            actor=request.user,
            kind=data["kind"],
            ref_id=data["ref_id"],
            title=title[:200],
            code=code,
        )
    except DomainError as exc:
        _refused(exc)
        return render(
            request, "console/people/refused.html", {"message": exc.message, "back": back}, status=exc.http_status
        )
    messages.success(request, _("Taken on at your contact point."))
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect(back)
