"""Resident pages (码上反馈): report from the doorstep, follow, rate, and see what was done. Mobile first.

Thin: forms check input, ``cases.services`` change cases, ``cases.selectors`` and ``portal.selectors`` read.
Nothing here is behind a staff login except the QR posters.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_cookie

from gongzhi.cases import public
from gongzhi.cases import selectors as case_selectors
from gongzhi.cases import services as case_services
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import Channel, EventKind, Score
from gongzhi.core import throttle, uploads
from gongzhi.core.db import replica_reads
from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.core.middleware import RETRY_AFTER_S, answer_stands, unavailable
from gongzhi.core.privacy import mask_text
from gongzhi.core.redirects import safe_next
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, Compound, GridNode, Jurisdiction
from gongzhi.portal import phone_login, photos, posters, reporter, selectors
from gongzhi.portal.forms import (
    MAX_TEXT,
    AddInfoForm,
    CodeForm,
    PhoneForm,
    RatingForm,
    ReportForm,
    TrackForm,
    WithdrawForm,
    category_label,
    title_from,
)
from gongzhi.stations import selectors as station_selectors

log = logging.getLogger(__name__)
LARGE_COOKIE = "gz_large"
LARGE_COOKIE_AGE = 10 * 365 * 24 * 3600  # "stays on once chosen"
SESSION_CODES = reporter.SESSION_CODES
NO_SUCH_CODE = gettext_lazy("No request has this tracking code. Please check it and try again.")
SESSION_CODES_MAX = 50
# A random id per browser, for the limit on unknown tracking codes (core.throttle): a person trying codes is stopped
# without stopping everyone behind the same address. Not a session: nothing is stored for it but the counter.
BROWSER_COOKIE = "gz_b"
BROWSER_COOKIE_AGE = 365 * 24 * 3600
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")

# What a resident reads for each status (staff words like "triaged" mean little on a doorstep).
RESIDENT_STATUS = {
    t.SUBMITTED: gettext_lazy("Received, waiting to be arranged"),
    t.TRIAGED: gettext_lazy("Being arranged"),
    t.DISPATCHED: gettext_lazy("Assigned to a handler"),
    t.ACCEPTED: gettext_lazy("Being handled"),
    t.ON_HOLD: gettext_lazy("Paused, waiting for something outside our control"),
    t.RESOLVED: gettext_lazy("Resolved — please rate the result"),
    t.CLOSED: gettext_lazy("Closed"),
    t.REJECTED: gettext_lazy("Not taken on"),
    t.MERGED: gettext_lazy("Handled together with an earlier report of the same problem"),
    t.WITHDRAWN: gettext_lazy("Withdrawn by the person who reported it"),
}
# The five steps residents are shown: 上报 → 受理 → 办理 → 办结 → 评价.
STEPS = [
    gettext_lazy("Reported"),
    gettext_lazy("Accepted"),
    gettext_lazy("Being handled"),
    gettext_lazy("Resolved"),
    gettext_lazy("Rated"),
]
STEP_OF_STATUS = {
    t.SUBMITTED: 0,
    t.TRIAGED: 1,
    t.DISPATCHED: 1,
    t.ACCEPTED: 2,
    t.ON_HOLD: 2,
    t.RESOLVED: 3,
    t.CLOSED: 4,
    t.REJECTED: 0,
    t.MERGED: 1,
    t.WITHDRAWN: 0,
}
EVENT_TEXT = {
    EventKind.SUBMITTED: gettext_lazy("Your report was received"),
    EventKind.TRIAGED: gettext_lazy("Checked and sorted by the community"),
    EventKind.REJECTED: gettext_lazy("Not taken on"),
    EventKind.MERGED: gettext_lazy("Joined an earlier report of the same problem"),
    EventKind.DISPATCHED: gettext_lazy("Assigned to a handler"),
    EventKind.ACCEPTED: gettext_lazy("The handler took it on"),
    EventKind.RETURNED: gettext_lazy("Being re-assigned"),
    EventKind.ESCALATED: gettext_lazy("Passed up to a higher level to solve"),
    EventKind.WHISTLED: gettext_lazy("Departments called in to help"),
    EventKind.REPORTED_IN: gettext_lazy("A department reported in"),
    EventKind.HELD: gettext_lazy("Paused"),
    EventKind.RESUMED: gettext_lazy("Work resumed"),
    EventKind.RESOLVED: gettext_lazy("Resolved"),
    EventKind.PUBLISHED: gettext_lazy("Result published on the public board"),
    EventKind.RATED: gettext_lazy("Rated"),
    EventKind.REWORK: gettext_lazy("Reopened: it is being handled again"),
    EventKind.CLOSED: gettext_lazy("Closed"),
    EventKind.WITHDRAWN: gettext_lazy("Withdrawn by the person who reported it"),
    EventKind.ERRAND_GIVEN: gettext_lazy("A volunteer is running the errand for you (代办)"),
    EventKind.ERRAND_DONE: gettext_lazy("The volunteer has run the errand"),
}
# Events that name who runs an errand: by the masked label the case recorded (志愿者 张*).
ERRAND_KINDS = {EventKind.ERRAND_GIVEN, EventKind.ERRAND_DONE}


# ----------------------------------------------------------------------------------------------------------- helpers


def _page(request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200):
    return render(request, template, context or {}, status=status)


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return _page(request, "portal/not_found.html", {"message": message}, status=404)


def _remember_code(request: HttpRequest, code: str) -> None:
    codes = [c for c in request.session.get(SESSION_CODES, []) if c != code]
    request.session[SESSION_CODES] = [code, *codes][:SESSION_CODES_MAX]


def _is_reporter(request: HttpRequest, case: Any) -> bool:
    """The reporter (``reporter.is_reporter``): this browser sent it, a phone login with the number they gave or were
    logged in with when they sent it, or their account. Only they see what they wrote, the exact place and their
    photos, and only they may rate, add information or withdraw."""
    return reporter.is_reporter(request, case)


def _browser(request: HttpRequest) -> str:
    """This browser's id for the lookup limit (a cookie, made the first time it is needed)."""
    value = request.COOKIES.get(BROWSER_COOKIE, "")
    if not _BROWSER_ID.fullmatch(value):
        value = getattr(request, "_gz_new_browser", "") or secrets.token_urlsafe(18)
        request._gz_new_browser = value  # type: ignore[attr-defined]
    return "browser:" + value


def remembers_browser(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Give the browser its id cookie when the view made one."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        new = getattr(request, "_gz_new_browser", "")
        if new:
            response.set_cookie(
                BROWSER_COOKIE,
                new,
                max_age=BROWSER_COOKIE_AGE,
                samesite="Lax",
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    return wrapped


def _jurisdiction(request: HttpRequest) -> Jurisdiction | None:
    code = request.GET.get("j") or request.POST.get("j") or ""
    if code:
        return Jurisdiction.objects.filter(code=code).first()
    return selectors.default_jurisdiction()


# -------------------------------------------------------------------------------------------------------------- home


@require_GET
@vary_on_cookie
def root(request: HttpRequest) -> HttpResponse:
    """``/``: residents land on their home page (the public face). Someone signed in with a staff account goes on to
    the console (residents have no accounts: their phone login is a session of its own, and keeps them here)."""
    if request.user.is_authenticated:
        return redirect("console:home")
    return redirect("portal:home")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers and tools ask for whatever the pages link: the icon in static files."""
    response = HttpResponseRedirect(static("icons/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    jurisdiction = selectors.default_jurisdiction()
    return _page(
        request,
        "portal/home.html",
        {
            "jurisdiction": jurisdiction,
            "track_form": TrackForm(),
            "login": phone_login.current(request),
            "communities": selectors.communities(jurisdiction) if jurisdiction else [],
        },
    )


@require_POST
def display(request: HttpRequest) -> HttpResponse:
    """Switch the large-text, high-contrast mode on or off; a cookie keeps the choice on this phone."""
    response = HttpResponseRedirect(safe_next(request, reverse("portal:home")))
    if request.POST.get("large") == "1":
        response.set_cookie(LARGE_COOKIE, "1", max_age=LARGE_COOKIE_AGE, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(LARGE_COOKIE, samesite="Lax")
    return response


# ------------------------------------------------------------------------------------------------------------ report


def _kept_when_busy(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The report form, sent while the database is out of reach before the view could even read the building, the
    category list or the phone's session (PostgreSQL restarting): a 503 with what was typed in a form that sends it
    again — not the general busy page, which can only say to go back. Later failures keep the full form (``_busy``)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Exception as exc:
            if request.method != "POST" or not unavailable(exc):
                raise
            return _report_kept(request, exc)

    return wrapped


# What the report form sends besides its text, carried as it came by the page above (the view checks it when it is
# sent again); the photos cannot be.
_KEPT_FIELDS = ("category", "address", "lat", "lon", "name", "phone", "anonymous", "follow", "token", "j")


def _report_kept(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Rendered without the request context (its processors would ask the database again), like core's 503 page."""
    log.warning("a report was not saved: the database is unavailable (%s); answered 503 with the text", exc)
    had_photos = bool(request.FILES)
    page = render_to_string(
        "portal/report_busy.html",
        {
            "message": _busy_message(had_photos=had_photos),
            "action": request.get_full_path(),
            "csrf": get_token(request),
            "description": request.POST.get("description", "")[:MAX_TEXT],
            "kept": [(name, request.POST[name][:200]) for name in _KEPT_FIELDS if request.POST.get(name)],
            "had_photos": had_photos,
        },
    )
    return HttpResponse(page, status=503, headers={"Retry-After": str(RETRY_AFTER_S)})


@never_cache
@require_http_methods(["GET", "POST"])
@uploads.limit_request_size(photos.request_limit)
@_kept_when_busy
def scan(request: HttpRequest, token: str) -> HttpResponse:
    """The URL in a building's QR code: the report page with compound, building and grid already known."""
    building = grid_selectors.building_by_token(token)
    if building is None:
        return _not_found(request, _("This QR code is not known. Please check you scanned a code on your building."))
    return _report(request, jurisdiction=building.jurisdiction, building=building, channel=Channel.QR)


@never_cache
@require_http_methods(["GET", "POST"])
@uploads.limit_request_size(photos.request_limit)
@_kept_when_busy
def report(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    if jurisdiction is None:
        return _not_found(request, _("This service is not set up yet."))
    return _report(request, jurisdiction=jurisdiction, building=None, channel=Channel.WEB)


def _report(request: HttpRequest, *, jurisdiction: Jurisdiction, building: Building | None, channel: str):
    limit, seconds = settings.GONGZHI_REPORT_RATE_LIMIT
    client = throttle.key_for(throttle.client_address(request))
    context: dict[str, Any] = {
        "jurisdiction": jurisdiction,
        "building": building,
        "max_photos": photos.MAX_PHOTOS,
        "max_photo_mb": settings.GONGZHI_PHOTO_MAX_MB,
        "max_text": MAX_TEXT,
        "staff": selectors.with_party(grid_selectors.staff_cards(building.node)[:3]) if building else [],
    }
    # A resident logged in by phone: the number is filled in, used when the field is left empty, and the case is
    # theirs (in "my requests") whatever contact number they give.
    login = phone_login.current(request)
    login_number = phone_login.number(request)
    context["login"] = login
    if request.method == "GET":
        initial = {"phone": login_number} if login_number else {}
        context["form"] = ReportForm(jurisdiction=jurisdiction, building=building, initial=initial)
        return _page(request, "portal/report.html", context)

    form = ReportForm(request.POST, jurisdiction=jurisdiction, building=building)
    context["form"] = form

    def refuse(message: str, status: int, **headers: str) -> HttpResponse:
        context["problem"] = message
        response = _page(request, "portal/report.html", context, status=status)
        for name, value in headers.items():
            response[name] = value
        return response

    # Every attempt counts, before anything costly (the photos are decoded last): a client sending many invalid or
    # oversized reports is refused as soon as it passes the limit, and an invalid report never decodes a photo.
    try:
        verdict = throttle.hit("report", client, limit=limit, seconds=seconds)
    except Exception as exc:
        if not unavailable(exc):
            raise
        return _busy(refuse, exc, had_photos=bool(request.FILES))
    if not verdict.allowed:
        return _too_many_reports(refuse, verdict.retry_after)
    files = request.FILES.getlist("photos")
    if not form.is_valid():
        # Errors of single fields are marked at the field; a missing place is said once, at the top.
        only_place = not any(name for name in form.errors if name != "__all__")
        return refuse("" if only_place else _("Please check the highlighted fields."), 400)
    if len(files) > photos.MAX_PHOTOS:
        return refuse(_("Please send at most %(count)s photos.") % {"count": photos.MAX_PHOTOS}, 400)
    cleaned: list[photos.CleanPhoto] = []
    try:
        for upload in files:
            cleaned.append(photos.clean(upload))
    except photos.PhotoError as exc:
        return refuse(exc.message, exc.status)

    data = form.cleaned_data
    try:
        stored = photos.store(cleaned)
    except photos.StorageFull as exc:  # nothing kept: the form again, with what was typed, and the reason
        return refuse(exc.message, exc.status, **{"Retry-After": "300"})
    following = _followed(request)
    try:
        # One transaction of its own, begun only for its writes: the classifier and the duplicate search run
        # before it (cases.services.submit), not holding SQLite's write lock.
        submission = {
            "jurisdiction": jurisdiction,
            "channel": channel,
            "title": title_from(data["description"]),
            "description": data["description"],
            "category": data["category"],
            "reporter": request.user if request.user.is_authenticated else None,
            "reporter_name": data["name"],
            "reporter_phone": data["phone"] or login_number,
            "reporter_login_phone": login_number,
            "anonymous": data["anonymous"],
            "building": building,
            "lat": None if building else data["lat"],
            "lon": None if building else data["lon"],
            "address": data["address"],
            "photos": stored,
        }
        case, done = _send(submission, following)
    except DomainError as exc:
        photos.discard(stored)
        return refuse(exc.message, exc.http_status)
    except Exception as exc:
        photos.discard(stored)
        if not unavailable(exc):
            raise
        return _busy(refuse, exc, had_photos=bool(cleaned))
    answer_stands(request)  # filed: the tracking page even if this phone's session cannot be saved now
    _remember_code(request, case.tracking_code)
    request.session["portal_just_sent"] = case.tracking_code
    track_url = reverse("portal:track", args=[case.tracking_code])
    return redirect(f"{track_url}?done={done}" if done else track_url)


# Signed references to the open cases offered as "already reported nearby" (the pk never travels bare).
NEARBY_SALT = "portal.nearby"
NEARBY_MAX_AGE = 2 * 3600
NEARBY_RATE = (60, 600)  # look-ups per client: one a few seconds while typing, for ten minutes


def _followed(request: HttpRequest) -> int | None:
    """The open case the resident chose to follow instead of filing a new one (a reference we signed when we offered
    it, and recently), or None."""
    token = request.POST.get("follow") or ""
    if not token:
        return None
    try:
        return int(signing.loads(token, salt=NEARBY_SALT, max_age=NEARBY_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        return None  # forged or stale: the report is sent on its own


def _send(submission: dict[str, Any], following: int | None) -> tuple[Any, str]:
    """File the report: joined to the case the resident follows (merged into it at once), or on its own — also when
    that case closed meanwhile. Returns the case and what the tracking page should say about it."""
    if following is not None:
        try:
            return case_services.submit_following(into=following, **submission), "followed"
        except Conflict:
            return case_services.submit(**submission), "sent_alone"
    return case_services.submit(**submission), ""


@never_cache
@require_POST
def nearby(request: HttpRequest) -> HttpResponse:
    """ "Already reported nearby?": while a resident writes a report (text and place given), the open cases the case
    engine would call duplicates, in public words only (type, building or grid unit, status), each with a button
    that follows it instead. An HTML fragment for the report page's script; empty when there is nothing to show."""
    limit, seconds = NEARBY_RATE
    verdict = throttle.hit("nearby", throttle.key_for(throttle.client_address(request)), limit=limit, seconds=seconds)
    if not verdict.allowed:
        return HttpResponse("", status=429, headers={"Retry-After": str(verdict.retry_after)})
    token = request.POST.get("token") or ""
    building = grid_selectors.building_by_token(token) if token else None
    jurisdiction = building.jurisdiction if building is not None else _jurisdiction(request)
    if jurisdiction is None or (token and building is None):
        return HttpResponse("")
    form = ReportForm(request.POST, jurisdiction=jurisdiction, building=building)
    form.is_valid()  # only the text, type and place are wanted; the rest may be missing yet
    text = form.cleaned_data.get("description")
    lat, lon = form.cleaned_data.get("lat"), form.cleaned_data.get("lon")
    if not text or "category" in form.errors or (building is None and form.located_node_id is None):
        return HttpResponse("")
    found = case_selectors.nearby_open_cases(
        jurisdiction=jurisdiction,
        title=title_from(text),
        description=text,
        category=form.cleaned_data.get("category"),
        building=building,
        lat=None if building else lat,
        lon=None if building else lon,
    )
    if not found:
        return HttpResponse("")
    rows = [
        {
            "case": c,
            "category": category_label(c.category) if c.category else "",
            "status_text": RESIDENT_STATUS.get(c.status, ""),
            "token": signing.dumps(c.pk, salt=NEARBY_SALT),
        }
        for c in found
    ]
    return _page(request, "portal/nearby.html", {"rows": rows})


def _busy(refuse, exc: Exception, *, had_photos: bool) -> HttpResponse:  # type: ignore[no-untyped-def]
    """The database is busy (say, a large import holding SQLite's write lock) or out of reach, and the report was not
    saved: the form comes back with what was typed (photos cannot be kept), so sending it again is one tap."""
    log.warning("a report was not saved: the database is unavailable (%s); answered 503", exc)
    return refuse(_busy_message(had_photos=had_photos), 503, **{"Retry-After": str(RETRY_AFTER_S)})


def _busy_message(*, had_photos: bool) -> str:
    if had_photos:
        return _(
            "The service is busy right now and your report was not saved. Your text is still here: please add your "
            "photos again and send it in a few seconds."
        )
    return _(
        "The service is busy right now and your report was not saved. Your text is still here: please send it again "
        "in a few seconds."
    )


def _too_many_reports(refuse, retry_after: int) -> HttpResponse:  # type: ignore[no-untyped-def]
    minutes = max(retry_after // 60, 1)
    message = _(
        "You have sent many reports in a short time. To keep the service open for everyone, please wait "
        "%(minutes)s minutes and try again, or call your grid worker."
    ) % {"minutes": minutes}
    return refuse(message, 429, **{"Retry-After": str(retry_after)})


# ------------------------------------------------------------------------------------------------------------- track


@never_cache
@require_GET
@remembers_browser
def track_lookup(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    status = 200
    retry_after = 0
    if form.is_valid():
        code = form.cleaned_data["code"]
        case, refused = _case_by_code(request, code)
        if case is not None:
            return redirect("portal:track", code=case.tracking_code)
        if refused is not None and refused.status_code == 429:
            retry_after = int(refused["Retry-After"])
            form.add_error("code", _too_many_codes_text(retry_after))
            status = 429
        else:
            form.add_error("code", NO_SUCH_CODE)
            status = 404
    elif form.errors:
        status = 400
    response = _page(request, "portal/track_lookup.html", {"form": form, "too_many": status == 429}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _too_many_codes_text(retry_after: int) -> str:
    minutes = max((retry_after + 59) // 60, 1)
    return _(
        "Too many tracking codes that do not exist were tried from this phone or this network, so looking up codes "
        "is paused for %(minutes)s minutes. Please check the code on your text message or receipt. Your own "
        "requests are not affected: log in with your mobile number to see them at once."
    ) % {"minutes": minutes}


def _case_by_code(request: HttpRequest, code: str) -> tuple[Any, HttpResponse | None]:
    """The case a tracking code names, or a refusal: 404 for an unknown code (counted against this browser and its
    network address) and 429 for every lookup once either tried too many unknown codes, so codes cannot be found by
    guessing (core.throttle). The reporter is never refused their own case: a code this browser sent is looked up
    without counting, and once the limit is reached a resident logged in by phone (or signed in) still opens the
    cases that are theirs — anyone else gets the same 429 whether the code exists or not."""
    code = (code or "").strip().upper()
    if code in request.session.get(SESSION_CODES, []):
        case = case_selectors.case_by_tracking_code(code)
        if case is not None:
            return case, None
    client, address = _browser(request), throttle.client_address(request)
    verdict = throttle.lookup_verdict(client=client, address=address)
    if verdict.allowed:
        case = case_selectors.case_by_tracking_code(code)
        if case is not None:
            return case, None
        throttle.count_lookup_miss(client=client, address=address)
        return None, _not_found(request, NO_SUCH_CODE)
    if phone_login.current(request) or request.user.is_authenticated:
        case = case_selectors.case_by_tracking_code(code)
        if case is not None and _is_reporter(request, case):
            return case, None
    response = _page(
        request,
        "portal/track_lookup.html",
        {
            "form": TrackForm(initial={"code": code}),
            "problem": _too_many_codes_text(verdict.retry_after),
            "too_many": True,
        },
        status=429,
    )
    response["Retry-After"] = str(verdict.retry_after)
    return None, response


@never_cache
@require_GET
@remembers_browser
def track(request: HttpRequest, code: str) -> HttpResponse:
    """A request by its tracking code. Whoever holds the code sees the status, the public timeline, who is handling
    it (三亮) and the result as the public may see it (the public summary once published, else the result masked),
    with the place at compound or community level. Only the reporter (``_is_reporter``) sees what they wrote, the
    exact place on a map and their photos — staff read cases in the console."""
    case, refused = _case_by_code(request, code)
    if refused is not None:
        return refused
    target, via = selectors.rating_target(case)
    shown = _photo_list(case, target)
    own = _is_reporter(request, case)
    # The result as written is for the reporter of the case it belongs to (a duplicate's reporter reads the
    # parent's, which another resident's report led to: masked like everyone else's).
    own_result = own and via is None
    events = [
        {
            "event": e,
            "text": (
                EVENT_TEXT.get(e.kind, e.get_kind_display())
                if own or e.kind != EventKind.SUBMITTED
                else gettext_lazy("The report was received")
            ),
            "note": _timeline_note(e, raw=own_result),
            "volunteer": str((e.data or {}).get("label", ""))[:32] if e.kind in ERRAND_KINDS else "",
        }
        for e in case_selectors.timeline(target, public_only=True)
    ]
    just_sent = request.session.pop("portal_just_sent", None) == case.tracking_code
    rated_now = request.session.pop("portal_rated", None)
    if not (isinstance(rated_now, dict) and rated_now.get("code") == case.tracking_code):
        rated_now = None
    # Anyone else reads what the public board shows once staff publish it (the summary they reviewed), and nothing of
    # the handler's report before: free text can name people in ways no mask recognises.
    # A duplicate's own, who rates the result of the same problem, reads it masked.
    if own_result:
        result = target.result
    elif target.public and target.public_summary:
        result = public.shown_summary(target)
    elif own:
        result = mask_text(target.result)
    else:
        result = ""
    context = {
        "case": case,
        "target": target,
        "merged": via is not None,
        "is_reporter": own,
        "category": public.category_name(case.category),
        # A 代办: the station handling it for the reporter (their own view only).
        "on_behalf": station_selectors.station_name((case.attributes or {}).get("_station"))
        if own and (case.attributes or {}).get("_on_behalf") is True
        else "",
        "place": _reporter_place(case) if own else public.coarse_place(case),
        "point": (case.lat, case.lon) if own and case.lat is not None and case.lon is not None else None,
        "status_text": RESIDENT_STATUS.get(target.status, target.get_status_display()),
        "steps": STEPS,
        "step": STEP_OF_STATUS.get(target.status, 0),
        "stopped": target.status in (t.REJECTED, t.WITHDRAWN),
        "events": events,
        "handler": selectors.handler(target) if target.status not in (t.SUBMITTED, t.REJECTED) else None,
        "report_photos": [i for i, n in enumerate(shown) if photos.is_report_photo(n)] if own else [],
        "result_photos": [i for i, n in enumerate(shown) if not photos.is_report_photo(n)]
        if own or target.public
        else [],
        "result": result,
        "can_rate": own and selectors.can_be_rated(case),
        "may_rate": own,
        "rating": selectors.last_rating(case),
        "rating_form": RatingForm(),
        "just_sent": just_sent,
        "rated_now": rated_now,
        "open": target.status in t.OPEN,
    }
    return _page(request, "portal/track.html", context)


def _timeline_note(event: Any, *, raw: bool) -> str:
    """The note a timeline entry shows the reporter: a refusal's reason, the result as written. Nobody else reads
    staff notes (the entries' labels say what happened)."""
    if event.kind not in selectors.NOTE_KINDS or not event.note or not raw:
        return ""
    return event.note


def _reporter_place(case: Any) -> str:
    """Where the reporter said it is: their building and the spot they typed, or the place the map found."""
    if case.building_id:
        return f"{case.building} · {case.address}" if case.address else str(case.building)
    found = public.public_place(case)
    return " · ".join(part for part in (case.address, found) if part)


@require_POST
@remembers_browser
def rate(request: HttpRequest, code: str) -> HttpResponse:
    case, refused = _case_by_code(request, code)
    if refused is not None:
        return refused
    track_url = reverse("portal:track", args=[case.tracking_code])
    if not _is_reporter(request, case):
        return _page(
            request,
            "portal/message.html",
            {
                "title": _("Only the person who reported it can rate"),
                "message": _("Log in with the mobile number you gave when you reported it, then rate."),
                "back": track_url,
            },
            status=403,
        )
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _page(
            request,
            "portal/message.html",
            {
                "title": _("Please choose both answers"),
                "message": _("Say how satisfied you are and whether it is solved."),
                "back": track_url,
            },
            status=400,
        )
    data = form.cleaned_data
    try:
        rated = case_services.rate(
            case=case,
            actor=request.user if request.user.is_authenticated else None,
            score=data["score"],
            solved=data["solved"],
            comment=data["comment"],
            verified_reporter=True,
        )
    except Conflict:
        return _page(
            request,
            "portal/message.html",
            {
                "title": _("Already rated"),
                "message": _("This result has already been rated. Thank you."),
                "back": track_url,
            },
            status=409,
        )
    except DomainError as exc:
        return _page(
            request,
            "portal/message.html",
            {"title": _("Cannot rate now"), "message": exc.message, "back": track_url},
            status=exc.http_status,
        )
    unhappy = data["score"] == Score.UNSATISFIED or not data["solved"]
    reopened = unhappy and rated.status in t.OPEN
    request.session["portal_rated"] = {"code": case.tracking_code, "reopened": reopened}
    return redirect(track_url + "#rating")


# ------------------------------------------------------------------------------------ the reporter's own actions


def _reporter_refused(request: HttpRequest, case: Any, title: str, message: str, status: int) -> HttpResponse:
    back = reverse("portal:track", args=[case.tracking_code]) + "#reporter-actions"
    return _page(request, "portal/message.html", {"title": title, "message": message, "back": back}, status=status)


def _not_the_reporter(request: HttpRequest, case: Any) -> HttpResponse:
    return _reporter_refused(
        request,
        case,
        _("Only the person who reported it can do this"),
        _("Open it from the phone you reported with, or log in with the mobile number you gave."),
        403,
    )


@require_POST
@uploads.limit_request_size(photos.request_limit)
def add_info(request: HttpRequest, code: str) -> HttpResponse:
    """The reporter adds words or photos to their open request (seen by staff and by them, not by the public)."""
    case, refused = _case_by_code(request, code)
    if refused is not None:
        return refused
    if not reporter.is_reporter(request, case):
        return _not_the_reporter(request, case)
    limit, seconds = settings.GONGZHI_REPORT_RATE_LIMIT
    verdict = throttle.hit("add_info", throttle.key_for(throttle.client_address(request)), limit=limit, seconds=seconds)
    if not verdict.allowed:
        response = _reporter_refused(
            request, case, _("Please wait a little"), _("You have added a lot in a short time. Please try later."), 429
        )
        response["Retry-After"] = str(verdict.retry_after)
        return response
    form = AddInfoForm(request.POST)
    files = request.FILES.getlist("photos")
    if not form.is_valid():
        return _reporter_refused(request, case, _("Cannot add this"), " ".join(form.errors["text"]), 400)
    if len(files) > case_services.MAX_INFO_PHOTOS:
        message = _("Please send at most %(count)s photos.") % {"count": case_services.MAX_INFO_PHOTOS}
        return _reporter_refused(request, case, _("Cannot add this"), message, 400)
    try:
        cleaned = [photos.clean(upload) for upload in files]
    except photos.PhotoError as exc:
        return _reporter_refused(request, case, _("Cannot add this"), exc.message, exc.status)
    try:
        stored = photos.store(cleaned)
    except photos.StorageFull as exc:
        return _reporter_refused(request, case, _("Cannot add this"), exc.message, exc.status)
    try:
        case_services.add_information(
            case=case,
            actor=request.user if request.user.is_authenticated else None,
            text=form.cleaned_data["text"],
            photos=stored,
            verified_reporter=True,
        )
    except DomainError as exc:
        photos.discard(stored)
        return _reporter_refused(request, case, _("Cannot add this"), exc.message, exc.http_status)
    return redirect(reverse("portal:track", args=[case.tracking_code]) + "?done=added#reporter-actions")


@require_POST
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    """The reporter withdraws their request before it is resolved, saying why."""
    case, refused = _case_by_code(request, code)
    if refused is not None:
        return refused
    if not reporter.is_reporter(request, case):
        return _not_the_reporter(request, case)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _reporter_refused(request, case, _("Please say why you withdraw it"), message, 400)
    try:
        case_services.withdraw(
            case=case,
            actor=request.user if request.user.is_authenticated else None,
            reason=form.note(),
            verified_reporter=True,
        )
    except DomainError as exc:
        return _reporter_refused(request, case, _("Cannot withdraw it"), exc.message, exc.http_status)
    return redirect(reverse("portal:track", args=[case.tracking_code]) + "?done=withdrawn#reporter-actions")


@require_GET
@remembers_browser
def photo(request: HttpRequest, code: str, index: int) -> HttpResponse:
    """A photo of a case, for whoever holds its tracking code (photos are stored without any metadata)."""
    case, refused = _case_by_code(request, code)
    if refused is not None:
        return refused
    target, _via = selectors.rating_target(case)
    names = _photo_list(case, target)
    # The reporter's own photos are for the reporter; the result photos for others once published (as on the board).
    hidden = 0 <= index < len(names) and (photos.is_report_photo(names[index]) or not target.public)
    if hidden and not _is_reporter(request, case):
        raise Http404
    return _serve_photo(names, index, private=True)


def _photo_list(case: Any, target: Any) -> list[str]:
    """The photos the tracking page shows, in URL index order: the case's own, then the result photos of the case a
    duplicate was merged into (never the other reporter's photos)."""
    own = [n for n in case.photos if isinstance(n, str)]
    return own + [n for n in target.photos if isinstance(n, str) and not photos.is_report_photo(n) and n not in own]


def _serve_photo(names: list[str], index: int, *, private: bool) -> HttpResponse:
    if not 0 <= index < len(names):
        raise Http404
    try:
        handle = default_storage.open(names[index], "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = ("private" if private else "public") + ", max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ------------------------------------------------------------------------------------------------ phone login, mine


@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: the number (a code is sent). Step 2: the number and the code (logged in, off to "my requests")."""
    context: dict[str, Any] = {"code_minutes": phone_login.CODE_MINUTES, "next": safe_next(request, "")}
    status = 200
    if request.method == "GET":
        context["phone_form"] = PhoneForm()
        return _page(request, "portal/login.html", context)
    if "code" in request.POST:
        form = CodeForm(request.POST)
        context["code_form"] = form
        if form.is_valid():
            try:
                phone_login.verify(phone=form.cleaned_data["phone"], code=form.cleaned_data["code"])
            except DomainError as exc:
                form.add_error("code", exc.message)
            else:
                phone_login.log_in(request, phone=form.cleaned_data["phone"])
                return redirect(safe_next(request, reverse("portal:mine")))
        return _page(request, "portal/login.html", context, status=400)
    form = PhoneForm(request.POST)
    if form.is_valid():
        try:
            phone_login.request_code(phone=form.cleaned_data["phone"], client=throttle.client_address(request))
        except phone_login.TooMany as exc:
            form.add_error("phone", exc.message)
            response = _page(request, "portal/login.html", {**context, "phone_form": form}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        context["code_form"] = CodeForm(initial={"phone": form.cleaned_data["phone"]})
        context["sent_to"] = form.cleaned_data["phone"]
        return _page(request, "portal/login.html", context)
    context["phone_form"] = form
    status = 400
    return _page(request, "portal/login.html", context, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    phone_login.log_out(request)
    return redirect("portal:home")


@never_cache
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    login = phone_login.current(request)
    if login is None:
        return redirect(reverse("portal:login") + "?next=" + reverse("portal:mine"))
    cases = list(selectors.cases_of_phone(login["index"]))
    rows = [{"case": c, "status_text": RESIDENT_STATUS.get(c.status, c.get_status_display())} for c in cases]
    return _page(request, "portal/mine.html", {"login": login, "rows": rows})


# --------------------------------------------------------------------------------------- public board, service points


@require_GET
@replica_reads
def board_index(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    nodes = selectors.communities(jurisdiction) if jurisdiction else []
    return _page(request, "portal/choose_community.html", {"nodes": nodes, "target": "portal:board", "kind": "board"})


@require_GET
@replica_reads
def board(request: HttpRequest, node_id: int) -> HttpResponse:
    """公示 of a community, a page at a time (newest result first, a keyset cursor), with its figures on top. Each
    card shows the public summary, the category and the place — never the resident's words or the tracking code."""
    node = selectors.public_node(node_id, level=roles.COMMUNITY)
    if node is None:
        return _not_found(request, _("This community is not known."))
    after = None
    if request.GET.get("after"):
        after = selectors.parse_cursor(request.GET["after"])
        if after is None:
            return _page(
                request,
                "portal/message.html",
                {
                    "title": _("This page does not exist"),
                    "message": _("The link to this page of the board is not valid. Start again from its first page."),
                    "back": reverse("portal:board", args=[node.pk]),
                },
                status=400,
            )
    data = selectors.board(node, after=after)
    return _page(
        request,
        "portal/board.html",
        {
            "node": node,
            "rows": data["cases"],
            "next": data["next"],
            "first_page": after is None,
            "figures": data["figures"],
            "days": data["days"],
        },
    )


@require_GET
@remembers_browser
def published(request: HttpRequest, public_id: str) -> HttpResponse:
    """One published case by its public id (what the board, the public map and Open311 name it by)."""
    client, address = _browser(request), throttle.client_address(request)
    verdict = throttle.lookup_verdict(client=client, address=address)
    if not verdict.allowed:
        response = _page(
            request,
            "portal/message.html",
            {"title": _("Too many tries"), "message": _too_many_codes_text(verdict.retry_after)},
            status=429,
        )
        response["Retry-After"] = str(verdict.retry_after)
        return response
    case = selectors.published_case(public_id)
    if case is None:
        throttle.count_lookup_miss(client=client, address=address)
        return _not_found(request, _("Nothing has been published under this number."))
    node = selectors.community_of(case)
    return _page(request, "portal/published.html", {"row": selectors.public_case(case), "node": node})


@require_GET
def board_photo(request: HttpRequest, public_id: str, index: int) -> HttpResponse:
    """A result photo of a case on the public board (published cases only; never the resident's own photos)."""
    case = selectors.published_case(public_id)
    if case is None:
        raise Http404
    _report_photos, result_photos = selectors.photo_names(case)
    return _serve_photo(result_photos, index, private=False)


@require_GET
@replica_reads
def public_map(request: HttpRequest, node_id: int | None = None) -> HttpResponse:
    """The public map (FixMyStreet-like): published cases of a community — or of the whole jurisdiction — at their
    building or a rounded point, each with its public summary. The list under the map says the same without it."""
    if node_id is not None:
        node = selectors.public_node(node_id, level=roles.COMMUNITY)
        if node is None:
            return _not_found(request, _("This community is not known."))
        jurisdiction = node.jurisdiction
    else:
        node = None
        jurisdiction = _jurisdiction(request)
        if jurisdiction is None:
            return _not_found(request, _("This service is not set up yet."))
    rows = selectors.map_cases(node, jurisdiction.pk)
    data_url = (
        reverse("portal:map_cases", args=[node.pk])
        if node
        else reverse("portal:map_cases_all") + f"?j={jurisdiction.code}"
    )
    return _page(
        request,
        "portal/public_map.html",
        {
            "node": node,
            "jurisdiction": jurisdiction,
            "rows": rows[: selectors.BOARD_PAGE * 3],
            "count": len(rows),
            "data_url": data_url,
            "communities": selectors.communities(jurisdiction) if node is None else [],
        },
    )


@require_GET
@replica_reads
def map_cases(request: HttpRequest, node_id: int | None = None) -> JsonResponse:
    """The public map's points as GeoJSON: public id, category, place, date and public summary — text only (the page
    builds its popups from DOM text nodes, never from HTML)."""
    if node_id is not None:
        node = selectors.public_node(node_id, level=roles.COMMUNITY)
        if node is None:
            raise Http404
        jurisdiction_id = node.jurisdiction_id
    else:
        node = None
        jurisdiction = _jurisdiction(request)
        if jurisdiction is None:
            raise Http404
        jurisdiction_id = jurisdiction.pk
    features = [
        {
            "type": "Feature",
            "id": row.public_id,
            "geometry": {"type": "Point", "coordinates": [row.point[1], row.point[0]]},
            "properties": {
                "id": row.public_id,
                "category": row.category,
                "place": row.place,
                "resolved": timezone.localtime(row.resolved_at).strftime("%Y-%m-%d"),
                "summary": row.summary,
                "url": reverse("portal:published", args=[row.public_id]),
            },
        }
        for row in selectors.map_cases(node, jurisdiction_id)
        if row.point is not None
    ]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def points_index(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    nodes = selectors.communities(jurisdiction) if jurisdiction else []
    return _page(request, "portal/choose_community.html", {"nodes": nodes, "target": "portal:points", "kind": "points"})


@require_GET
def points(request: HttpRequest, node_id: int) -> HttpResponse:
    node = selectors.public_node(node_id)
    if node is None:
        return _not_found(request, _("This area is not known."))
    rows = [
        {
            "point": p,
            "open": station_selectors.is_open(p),
            "week": station_selectors.week(p),
            "cards": selectors.with_party(
                [
                    selectors.card_for_post(post)
                    for post in station_selectors.on_duty(p)
                    if post.is_public and post.active
                ]
            ),
        }
        for p in station_selectors.stations_serving(node)
    ]
    return _page(
        request,
        "portal/points.html",
        {"node": node, "rows": rows, "staff": selectors.with_party(grid_selectors.staff_cards(node))},
    )


# ------------------------------------------------------------------------------------------------ QR posters (staff)


def _scoped_node(request: HttpRequest, node: GridNode) -> GridNode:
    try:
        return grid_selectors.grid_node_for(request.user, node.pk)
    except NotFound:
        raise Http404 from None


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def posters_page(request: HttpRequest, node_id: int) -> HttpResponse:
    """For staff: the buildings under a node, with their QR posters (one per building, or sheets of labels)."""
    try:
        node = grid_selectors.grid_node_for(request.user, node_id)
    except NotFound:
        raise Http404 from None
    subtree = grid_selectors.subtree(node)
    compounds = Compound.objects.filter(node__in=subtree).order_by("code")
    buildings = Building.objects.filter(node__in=subtree).select_related("compound").order_by("code")[:500]
    return _page(
        request,
        "portal/posters.html",
        {"node": node, "compounds": compounds, "buildings": buildings, "warn": posters.warning_host(request)},
    )


@login_required
@require_GET
def poster_building(request: HttpRequest, building_id: int) -> HttpResponse:
    building = Building.objects.select_related("node", "compound", "jurisdiction").filter(pk=building_id).first()
    if building is None:
        raise Http404
    _scoped_node(request, building.node)
    return _pdf(posters.render([building], base_url=posters.base_url(request)), f"qr-{building.code}.pdf")


@login_required
@require_GET
def poster_compound(request: HttpRequest, compound_id: int) -> HttpResponse:
    compound = Compound.objects.select_related("node").filter(pk=compound_id).first()
    if compound is None:
        raise Http404
    _scoped_node(request, compound.node)
    buildings = list(compound.buildings.select_related("node", "compound").order_by("code"))
    return _poster_set(request, buildings, f"qr-{compound.code}")


@login_required
@require_GET
def poster_node(request: HttpRequest, node_id: int) -> HttpResponse:
    try:
        node = grid_selectors.grid_node_for(request.user, node_id)
    except NotFound:
        raise Http404 from None
    buildings = list(
        Building.objects.filter(node__in=grid_selectors.subtree(node))
        .select_related("node", "compound")
        .order_by("compound__code", "code")[: posters.MAX_BUILDINGS]
    )
    return _poster_set(request, buildings, f"qr-{node.code}")


def _poster_set(request: HttpRequest, buildings: list[Building], name: str) -> HttpResponse:
    if not buildings:
        return _page(
            request,
            "portal/message.html",
            {"title": _("No buildings"), "message": _("There are no buildings here to print codes for.")},
            status=404,
        )
    layout = "sheet" if request.GET.get("layout") == "sheet" else "poster"
    return _pdf(posters.render(buildings, base_url=posters.base_url(request), layout=layout), f"{name}-{layout}.pdf")
