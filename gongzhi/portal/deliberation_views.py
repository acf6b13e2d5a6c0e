"""Resident pages of deliberation (议事: 有事来协商 with 一征三议两公开) and of notices (通知公告), phone first.

Topics near me (of the building the resident came from by its QR code, or a community), a topic's page (its six steps,
support for a residents' proposal, public comments, meetings, votes, the decision and the result once public),
proposing a topic, a meeting's page with sign-up and the check-in page its QR code opens, and a notice's page with
its opens counted once per reader; subscribing to a building's notices by text message and opting out.

``deliberation.services`` do the work and ``deliberation.selectors`` read; these views read the request and show the
answer. Everything a resident does needs the phone login (``phone_login``, as the market's booking: GET goes to the
login page and back, POST without it is a 403 page with the login link). A resident's household — one support, one
vote — is the care registry's household of their number when it knows it, else the number itself (its blind index).
No page shows a phone number, a hidden comment, or a vote's result before it closes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.care import selectors as care_selectors
from gongzhi.cases.models import Case
from gongzhi.core import crypto, timeutil
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.privacy import mask_text
from gongzhi.deliberation import selectors as delib
from gongzhi.deliberation import services as delib_services
from gongzhi.deliberation import steps
from gongzhi.deliberation.choices import Basis, MeetingStatus, Origin, Step, Voice, VoteStatus
from gongzhi.deliberation.models import EligiblePhone, Meeting, Registration, Subscription, Support, Topic, Vote
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode
from gongzhi.portal import participation, selectors
from gongzhi.portal.deliberation_forms import CommentForm, ProposeForm, RegisterForm, VoteForm

# The building the resident came from (its QR code): their topics, the label of their comments, where they propose.
# A random id per browser, signed, to count a notice's opens once per reader (a keyed hash of it: never an address).
READER_COOKIE = "gz_r"
READER_SALT = "portal.notice-reader"
READER_COOKIE_AGE = 365 * 24 * 3600
REVIEW, CONFIRM = "review", "confirm"
MAX_TOPICS = 100


# ----------------------------------------------------------------------------------------------------------- helpers

REFUSED = "portal/deliberation/refused.html"
SESSION_BUILDING = participation.SESSION_BUILDING
_came_from = participation.came_from
_login = participation.phone_session
_login_url = participation.login_url
_throttled = participation.throttled


def _refused(
    request: HttpRequest, title: str, message: str, *, status: int, back: str, login: bool = False
) -> HttpResponse:
    return participation.refused(request, REFUSED, title, message, status=status, back=back, login=login)


def _needs_login(request: HttpRequest, back: str) -> HttpResponse:
    return participation.needs_login(request, REFUSED, back)


def _too_many(request: HttpRequest, retry_after: int, back: str) -> HttpResponse:
    return participation.too_many(request, REFUSED, retry_after, back)


def _not_found(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "portal/not_found.html", {"message": message or _(delib_services.NOT_FOUND)}, status=404)


def _household_key(number: str, jurisdiction_id: int) -> str:
    """The household of a number for "one household, one support": the care registry's when it knows the number
    (the lowest of its households in the jurisdiction), else the number itself (its blind index)."""
    found = care_selectors.household_ids_for_phone(number, jurisdiction_id=jurisdiction_id)
    return care_selectors.household_key(found[0]) if found else "phone:" + crypto.blind_index(number)


def _author_label(request: HttpRequest, topic: Topic) -> str:
    building = _came_from(request)
    if building is not None and building.jurisdiction_id == topic.jurisdiction_id:
        return f"{building.name}居民"[:64]
    return "居民"


def _topic_url(topic: Topic | int, anchor: str = "") -> str:
    pk = topic.pk if isinstance(topic, Topic) else topic
    return reverse("portal:topic", args=[pk]) + (f"#{anchor}" if anchor else "")


def _public_topic(topic_id: int) -> Topic | None:
    try:
        return delib.public_topic(topic_id)
    except NotFound:
        return None


# ------------------------------------------------------------------------------------------------- topics near me


@dataclass
class TopicCard:
    topic: Topic
    open: bool


def _card(topic: Topic) -> TopicCard:
    return TopicCard(topic=topic, open=topic.step not in steps.FINAL)


@require_GET
def topics(request: HttpRequest) -> HttpResponse:
    """Topics near me: of the building whose QR code the resident scanned (``b``, remembered), of a node they chose
    (``node``), else a list of communities to choose from."""
    building = None
    node: GridNode | None = None
    if request.GET.get("b"):
        building = grid_selectors.building_by_token(request.GET["b"][:32])
        if building is None:
            return _not_found(
                request, _("This QR code is not known. Please check you scanned a code on your building.")
            )
        request.session[SESSION_BUILDING] = building.pk
        node = building.node
    elif request.GET.get("node"):
        node = selectors.public_node(request.GET["node"])
        if node is None:
            return _not_found(request, _("This area is not known."))
    elif not request.GET.get("choose"):
        building = _came_from(request)
        node = building.node if building is not None else None
    if node is None:
        jurisdiction = selectors.default_jurisdiction()
        nodes = selectors.communities(jurisdiction).defer("boundary") if jurisdiction else []
        return render(request, "portal/deliberation/choose.html", {"nodes": nodes})
    cards = [_card(t) for t in delib.public_topics(node)[:MAX_TOPICS]]
    context = {
        "node": node,
        "building": building,
        "open_cards": [c for c in cards if c.open],
        "done_cards": [c for c in cards if not c.open],
        "community": grid_selectors.ancestor_at(node, roles.COMMUNITY),
    }
    return render(request, "portal/deliberation/topics.html", context)


# ------------------------------------------------------------------------------------------------------ topic page


@dataclass
class StepRow:
    step: str
    label: str
    state: str  # done, active, todo
    since: datetime | None
    until: Any


def _timeline(topic: Topic) -> list[StepRow]:
    entered: dict[str, datetime] = {}
    for change in topic.step_changes.order_by("at", "pk"):
        entered[change.step_to] = change.at
    current = topic.step if topic.step in steps.STEPS else None
    reached = steps.STEPS.index(current) if current else -1
    if current is None:  # dropped: the steps it went through are done
        reached = max((steps.STEPS.index(s) for s in entered if s in steps.STEPS), default=0) + 1
    labels = dict(Step.choices)
    rows = []
    for i, step in enumerate(steps.STEPS):
        state = "done" if i < reached else "active" if i == reached else "todo"
        rows.append(
            StepRow(
                step=step,
                label=str(labels[step]),
                state=state,
                since=entered.get(step) if state != "todo" else None,
                until=topic.step_until if state == "active" else None,
            )
        )
    return rows


@dataclass
class CommentView:
    body: str
    label: str
    voice: str
    organisation: str
    at: datetime
    replies: list[CommentView]


def _comments(topic: Topic) -> list[CommentView]:
    """The public comments (never a hidden one, nor a reply to one), replies under what they answer."""
    rows = list(delib.public_comments(topic))
    views = {c.pk: CommentView(c.body, c.author_label, c.voice, c.organisation, c.created_at, []) for c in rows}
    top: list[CommentView] = []
    for c in rows:
        if c.reply_to_id and c.reply_to_id in views:
            views[c.reply_to_id].replies.append(views[c.pk])
        elif not c.reply_to_id:
            top.append(views[c.pk])
    return top


@dataclass
class VoteView:
    vote: delib.PublicVote
    state: str  # login, eligible, voted, not_listed, not_yet, counting, closed
    form: VoteForm | None
    rows: list[dict[str, Any]]
    turnout: str
    weighted: bool


def _percent(part: Any, whole: Any) -> str:
    try:
        return f"{float(part) * 100 / float(whole):.1f}" if float(whole) else "—"
    except (TypeError, ValueError):
        return "—"


def _vote_view(vote: Vote, login: dict[str, str] | None, now: datetime) -> VoteView:
    shown = delib.public_vote(vote)
    rows: list[dict[str, Any]] = []
    turnout = ""
    weighted = vote.basis == Basis.OWNER_AREA
    form = None
    if shown.result is not None:  # closed: the result, counted at close
        result = shown.result
        counts, weights = result.get("counts", {}), result.get("weights", {})
        carried = set(result.get("carried", []))
        for _pk, label in shown.options:
            rows.append(
                {
                    "label": label,
                    "count": counts.get(label, 0),
                    "percent": _percent(counts.get(label, 0), result.get("cast", 0)),
                    "weight": weights.get(label, ""),
                    "carried": label in carried,
                }
            )
        turnout = _percent(result.get("cast", 0), result.get("eligible", 0))
        state = "closed"
    elif vote.status != VoteStatus.OPEN or now < vote.opens_at:
        state = "not_yet"
    elif now >= vote.closes_at:
        state = "counting"
    elif login is None:
        state = "login"
    elif delib.has_voted(vote, login["index"]):
        state = "voted"
    elif EligiblePhone.objects.filter(vote=vote, phone_index=login["index"]).exists():
        state = "eligible"
        form = VoteForm(options=shown.options)
    else:
        state = "not_listed"
    return VoteView(vote=shown, state=state, form=form, rows=rows, turnout=turnout, weighted=weighted)


def _topic_page(
    request: HttpRequest,
    topic: Topic,
    *,
    comment_form: CommentForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    login, _number = _login(request)
    now = timeutil.now()
    supported = bool(login) and Support.objects.filter(topic=topic, phone_index=login["index"]).exists()
    public_decision = steps.is_public_decision(topic.step)
    context = {
        "topic": topic,
        "login": login,
        "timeline": _timeline(topic),
        "dropped": topic.step == Step.DROPPED,
        "dropped_reason": mask_text(topic.dropped_reason),
        "collecting": topic.origin == Origin.RESIDENTS and topic.step == Step.COLLECT,
        "card": _card(topic),
        "supported": supported,
        "comments": _comments(topic),
        "commentable": topic.step in delib_services.COMMENTABLE,
        "comment_form": comment_form or CommentForm(),
        "meetings": list(delib.public_meetings(topic)),
        "votes": [_vote_view(v, login, now) for v in topic.votes.exclude(status=VoteStatus.DRAFT).order_by("opens_at")],
        "decision": topic.decision if public_decision else "",
        "result": topic.result if topic.step == Step.RESULT_PUBLIC else "",
        "photos": range(len(topic.result_photos)) if topic.step == Step.RESULT_PUBLIC else range(0),
        "error": error,
        "done": request.GET.get("done", ""),
        "here": _topic_url(topic),
        "voices": Voice,
    }
    return render(request, "portal/deliberation/topic.html", context, status=status)


@never_cache
@require_GET
def topic_page(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = _public_topic(topic_id)
    if topic is None:
        return _not_found(request)
    return _topic_page(request, topic)


@require_GET
def topic_photo(request: HttpRequest, topic_id: int, index: int) -> HttpResponse:
    """A result photo, once the result is public."""
    topic = _public_topic(topic_id)
    if topic is None or topic.step != Step.RESULT_PUBLIC:
        raise Http404
    names = [n for n in topic.result_photos if isinstance(n, str)]
    if not 0 <= index < len(names):
        raise Http404
    try:
        handle = default_storage.open(names[index], "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_POST
def support(request: HttpRequest, topic_id: int) -> HttpResponse:
    """Support a residents' proposal: once per household (the registry's, else the number's)."""
    topic = _public_topic(topic_id)
    if topic is None:
        return _not_found(request)
    back = _topic_url(topic, "support")
    login, number = _login(request)
    if login is None:
        return _needs_login(request, back)
    try:
        delib_services.support(topic=topic, phone=number, household_key=_household_key(number, topic.jurisdiction_id))
    except DomainError as exc:
        return _refused(request, _("Not counted"), exc.message, status=exc.http_status, back=back)
    return HttpResponseRedirect(_topic_url(topic) + "?done=supported#support", status=303)


@never_cache
@require_POST
def comment(request: HttpRequest, topic_id: int) -> HttpResponse:
    """A resident's comment (shown as "3号楼居民" or "居民"), rate-limited per number like the reports."""
    topic = _public_topic(topic_id)
    if topic is None:
        return _not_found(request)
    back = _topic_url(topic, "comments")
    login, number = _login(request)
    if login is None:
        return _needs_login(request, back)
    wait = _throttled("delib-comment", login["index"])
    if wait:
        return _too_many(request, wait, back)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _topic_page(request, topic, comment_form=form, error=_("Please check your comment."), status=400)
    try:
        delib_services.comment(
            topic=topic, body=form.cleaned_data["body"], phone=number, author_label=_author_label(request, topic)
        )
    except DomainError as exc:
        return _topic_page(request, topic, comment_form=form, error=exc.message, status=exc.http_status)
    return HttpResponseRedirect(_topic_url(topic) + "?done=commented#comments", status=303)


# ----------------------------------------------------------------------------------------------------------- votes


@never_cache
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, topic_id: int, vote_id: int) -> HttpResponse:
    """``action=review``: the choice shown again with a confirm button; ``action=confirm``: the vote is cast
    (``services.cast``) and the topic page says "your household has voted" — never which option. Refusals (not on
    the list, closed, already voted for the household) are 403/409 pages and write nothing."""
    topic = _public_topic(topic_id)
    found = (
        Vote.objects.filter(pk=vote_id, topic_id=topic.pk).exclude(status=VoteStatus.DRAFT).first()
        if topic is not None
        else None
    )
    if topic is None or found is None:
        return _not_found(request)
    back = _topic_url(topic, f"vote-{found.pk}")
    if request.method == "GET":
        return redirect(back)
    login, number = _login(request)
    if login is None:
        return _needs_login(request, back)
    now = timeutil.now()
    title = _("Your vote was not counted")
    if found.status != VoteStatus.OPEN or not found.opens_at <= now < found.closes_at:
        return _refused(request, title, _("The vote is not open."), status=409, back=back)
    if delib.has_voted(found, login["index"]):
        return _refused(request, title, _("This vote was already cast for your household."), status=409, back=back)
    if not EligiblePhone.objects.filter(vote=found, phone_index=login["index"]).exists():
        return _refused(
            request, title, _("Your phone number is not on this vote's list of voters."), status=403, back=back
        )
    shown = delib.public_vote(found)
    form = VoteForm(request.POST, options=shown.options)
    if not form.is_valid():
        return _refused(request, title, _("Choose one of the vote's options."), status=400, back=back)
    option = form.cleaned_data["option"]
    action = request.POST.get("action", "")
    if action == REVIEW:
        label = dict(shown.options)[option]
        context = {"topic": topic, "vote": shown, "option": option, "label": label, "back": back}
        return render(request, "portal/deliberation/vote_confirm.html", context)
    if action != CONFIRM:
        return _refused(request, title, _("Choose an option, then confirm it."), status=400, back=back)
    try:
        delib_services.cast(vote=found, phone=number, option=option)
    except DomainError as exc:
        return _refused(request, title, exc.message, status=exc.http_status, back=back)
    return HttpResponseRedirect(_topic_url(topic) + f"?done=voted#vote-{found.pk}", status=303)


# ----------------------------------------------------------------------------------------------------------- propose


def _places(request: HttpRequest) -> list[tuple[int, str]]:
    """Where a resident may propose: their building's grid (when they came by its QR code) and the communities."""
    building = _came_from(request)
    places: list[tuple[int, str]] = []
    jurisdiction = building.jurisdiction if building is not None else selectors.default_jurisdiction()
    if building is not None:
        places.append((building.node_id, _("My building's grid: %(name)s") % {"name": building.node.name}))
    if jurisdiction is not None:
        places += [(n.pk, n.name) for n in selectors.communities(jurisdiction).defer("boundary")]
    return places


@never_cache
@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest) -> HttpResponse:
    """A residents' proposal (一征): collected until ``GONGZHI_TOPIC_SUPPORT_HOUSEHOLDS`` households support it (the
    proposer's own counts); rate-limited per number like the reports."""
    here = reverse("portal:topic_new")
    login, number = _login(request)
    if login is None:
        if request.method == "GET":
            return redirect(_login_url(here))
        return _needs_login(request, here)
    places = _places(request)
    needed = settings.GONGZHI_TOPIC_SUPPORT_HOUSEHOLDS
    context: dict[str, Any] = {"login": login, "needed": needed}
    if request.method == "GET":
        initial = {}
        if request.GET.get("node") and str(request.GET["node"]).isdigit():
            initial["node"] = int(request.GET["node"])
        context["form"] = ProposeForm(places=places, initial=initial)
        return render(request, "portal/deliberation/propose.html", context)
    wait = _throttled("delib-propose", login["index"])
    if wait:
        return _too_many(request, wait, here)
    form = ProposeForm(request.POST, places=places)
    context["form"] = form
    if not form.is_valid():
        context["error"] = _("Please check the highlighted fields.")
        return render(request, "portal/deliberation/propose.html", context, status=400)
    node = GridNode.objects.filter(pk=form.cleaned_data["node"]).first()
    if node is None:
        return _not_found(request, _("This area is not known."))
    try:
        topic = delib_services.propose(
            node=node,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            phone=number,
            household_key=_household_key(number, node.jurisdiction_id),
            support_needed=needed,
        )
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "portal/deliberation/propose.html", context, status=exc.http_status)
    return HttpResponseRedirect(_topic_url(topic) + "?done=proposed", status=303)


# ---------------------------------------------------------------------------------------------------------- meetings


def _meeting_cases(meeting: Meeting) -> list[dict[str, Any]]:
    """Cases raised at the meeting, as the public may see them: what it is about (masked; nothing for a private
    category) and its status in residents' words — never a tracking code."""
    from gongzhi.portal.views import RESIDENT_STATUS  # the residents' words for a case's status

    raised = list(delib.meeting_cases(meeting))
    found = {c.pk: c for c in Case.objects.filter(pk__in=[r.case_id for r in raised]).select_related("category")}
    rows = []
    for row in raised:
        case = found.get(row.case_id)
        if case is None:
            continue
        private = bool(case.category_id and case.category.private)
        rows.append(
            {
                "title": "" if private else mask_text(row.title),
                "status": RESIDENT_STATUS.get(case.status, case.get_status_display()),
                "public_id": case.public_id if case.public and not private else "",
                "at": row.at,
            }
        )
    return rows


def _meeting_page(request: HttpRequest, meeting: Meeting, *, error: str = "", status: int = 200) -> HttpResponse:
    login, _number = _login(request)
    taken = Registration.objects.filter(meeting=meeting, registered_at__isnull=False).count()
    mine = (
        Registration.objects.filter(meeting=meeting, phone_index=login["index"]).first() if login is not None else None
    )
    now = timeutil.now()
    context = {
        "meeting": meeting,
        "login": login,
        "left": max(meeting.capacity - taken, 0) if meeting.capacity is not None else None,
        "taken": taken,
        "mine": mine,
        "open": meeting.status == MeetingStatus.PLANNED and meeting.ends > now,
        "cancelled": meeting.status == MeetingStatus.CANCELLED,
        "held": meeting.status == MeetingStatus.HELD,
        "decisions": mask_text(meeting.decisions) if meeting.status == MeetingStatus.HELD else "",
        "invited": [line.strip() for line in meeting.invited.splitlines() if line.strip()],
        "cases": _meeting_cases(meeting),
        "form": RegisterForm(),
        "error": error,
        "done": request.GET.get("done", ""),
    }
    return render(request, "portal/deliberation/meeting.html", context, status=status)


def _public_meeting(meeting_id: int) -> Meeting | None:
    try:
        return delib.public_meeting(meeting_id)
    except NotFound:
        return None


@never_cache
@require_GET
def meeting_page(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _public_meeting(meeting_id)
    if meeting is None:
        return _not_found(request)
    return _meeting_page(request, meeting)


@never_cache
@require_POST
def meeting_register(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _public_meeting(meeting_id)
    if meeting is None:
        return _not_found(request)
    back = reverse("portal:meeting", args=[meeting.pk])
    login, number = _login(request)
    if login is None:
        return _needs_login(request, back)
    form = RegisterForm(request.POST)
    if not form.is_valid():
        return _meeting_page(request, meeting, error=_("The name is longer than %(max)s characters.") % {"max": 64},
                             status=400)  # fmt: skip
    try:
        delib_services.register(meeting=meeting, phone=number, name=form.cleaned_data["name"])
    except DomainError as exc:
        return _refused(request, _("Not registered"), exc.message, status=exc.http_status, back=back)
    return HttpResponseRedirect(back + "?done=registered", status=303)


@never_cache
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, token: str) -> HttpResponse:
    """The page the QR code at the venue opens: the phone login, then one tap (``services.check_in``)."""
    meeting = (
        Meeting.objects.select_related("node", "topic").filter(check_in_token=token[:32]).first()
        if len(token) <= 32
        else None
    )
    if meeting is None:
        return _not_found(request, _("This check-in code is not known. Please scan the code shown at the meeting."))
    here = reverse("portal:meeting_checkin", args=[token])
    login, number = _login(request)
    if login is None:
        if request.method == "GET":
            return redirect(_login_url(here))
        return _needs_login(request, here)
    context: dict[str, Any] = {"meeting": meeting, "login": login, "done": False}
    if request.method == "POST":
        try:
            delib_services.check_in(token=token, phone=number)
        except NotFound:
            return _not_found(request)
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "portal/deliberation/checkin.html", context, status=exc.http_status)
        context["done"] = True
    else:
        context["already"] = Registration.objects.filter(
            meeting=meeting, phone_index=login["index"], attended=True
        ).exists()
    return render(request, "portal/deliberation/checkin.html", context)


# ----------------------------------------------------------------------------------------------------------- notices


def _reader(request: HttpRequest) -> tuple[str, str]:
    """(this browser's reader id, a new id to set as its cookie or "")."""
    value = request.get_signed_cookie(READER_COOKIE, default="", salt=READER_SALT)
    new = ""
    if not value or len(value) > 64:
        value = new = secrets.token_urlsafe(18)
    return value, new


@never_cache
@require_GET
def notice_page(request: HttpRequest, notice_id: int) -> HttpResponse:
    """A published notice (an expired one stays readable by its link, marked so); opens counted once per reader."""
    try:
        notice = delib.public_notice(notice_id)
    except NotFound:
        return _not_found(request, _("This notice is not known or was withdrawn."))
    now = timeutil.now()
    expired = notice.expires_at <= now
    reader, new = _reader(request)
    if not expired:
        delib_services.record_open(notice=notice, reader=crypto.blind_index("notice-reader:" + reader), at=now)
    response = render(request, "portal/deliberation/notice.html", {"notice": notice, "expired": expired})
    if new:
        response.set_signed_cookie(
            READER_COOKIE,
            new,
            salt=READER_SALT,
            max_age=READER_COOKIE_AGE,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def notice_subscribe(request: HttpRequest, token: str) -> HttpResponse:
    """ "Text me this building's notices": the phone login, then a confirm (``services.subscribe``)."""
    building = grid_selectors.building_by_token(token[:32])
    if building is None:
        return _not_found(request, _("This QR code is not known. Please check you scanned a code on your building."))
    here = reverse("portal:notice_subscribe", args=[building.public_token])
    login, number = _login(request)
    if login is None:
        if request.method == "GET":
            return redirect(_login_url(here))
        return _needs_login(request, here)
    found = Subscription.objects.filter(building=building, phone_index=login["index"], active=True).first()
    context: dict[str, Any] = {"building": building, "login": login, "subscription": found, "done": False}
    if request.method == "POST":
        try:
            context["subscription"] = delib_services.subscribe(building=building, phone=number)
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "portal/deliberation/subscribe.html", context, status=exc.http_status)
        context["done"] = True
    return render(request, "portal/deliberation/subscribe.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def notice_stop(request: HttpRequest, token: str) -> HttpResponse:
    """The opt-out link of the text messages: GET asks, POST stops them (``services.unsubscribe``)."""
    found = (
        Subscription.objects.select_related("building__compound").filter(token=token).first()
        if len(token) <= 32
        else None
    )
    if found is None:
        return _not_found(request, _("This link is not known. Nothing was changed."))
    if request.method == "POST":
        delib_services.unsubscribe(token=token)
        found.refresh_from_db()
        return render(request, "portal/deliberation/stop.html", {"subscription": found, "done": True})
    return render(request, "portal/deliberation/stop.html", {"subscription": found, "done": False})
