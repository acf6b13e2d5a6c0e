"""The console's deliberation pages (有事来协商 with 一征三议两公开, issue 30): topics and their steps, comments with
moderation, meetings with their door and QR check-in sheet, votes with their eligibility and desk, and notices to
residents (通知公告).

Thin: ``deliberation.selectors`` read in the viewer's scope (outside it: 404, like a missing record) and
``deliberation.services`` write and refuse — 403 seen but not allowed, 404 not found, 409 a step the state forbids,
400 bad input; the page comes back with the reason and nothing is written. ``deliberation`` imports no other domain:
a topic started from a case or a need, the care registry's households as voters, and a case raised at a meeting are
read or filed here and handed over by id. Every page is ``no-store`` (registrations, doors and phones show here).

A vote's per-option counts are on no staff page before it closes: only the turnout (ballots / eligible).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gongzhi.care import selectors as care_selectors
from gongzhi.cases import selectors as case_selectors
from gongzhi.cases import services as case_services
from gongzhi.cases.choices import Channel
from gongzhi.console import deliberation_forms as forms
from gongzhi.console import selectors as console_selectors
from gongzhi.core import crypto, photos, qr, timeutil, uploads
from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.core.http import parse_id
from gongzhi.core.privacy import mask_name, mask_phone
from gongzhi.deliberation import policies, selectors, services, steps
from gongzhi.deliberation.choices import Basis, NoticeStatus, Origin, Step, VoteStatus
from gongzhi.deliberation.models import Ballot, Eligible, Meeting, Notice, Topic, Vote
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, GridNode, Jurisdiction
from gongzhi.lists import selectors as lists_selectors

MAX_NODES = 500
MAX_BUILDINGS = 2000
MAX_ROWS = 200
MAX_LIST_ROWS = 5000
MAX_LIST_BYTES = 5 * 1024 * 1024
RESULT_PHOTOS = photos.MAX_REPORT_PHOTOS
# The resident check-in page the portal serves for a meeting's QR code (its path, as printed on the sheet).
CHECK_IN_PATH = "/r/meetings/checkin/{token}/"
PHONE_SPLIT = re.compile(r"[、,，;；/\s]+")


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"exception": message}, status=403)


def _bench(request: HttpRequest) -> console_selectors.Workbenches:
    return console_selectors.workbenches(request.user)


def _nodes(user: Any, capability: str) -> QuerySet[GridNode]:
    condition = grid_selectors.capability_condition(user, capability)
    if condition is None:
        return GridNode.objects.none()
    return GridNode.objects.filter(condition).order_by("jurisdiction_id", "path")[:MAX_NODES]


def _node_queryset(user: Any, capability: str) -> QuerySet[GridNode]:
    ids = list(_nodes(user, capability).values_list("pk", flat=True))
    return GridNode.objects.filter(pk__in=ids).order_by("jurisdiction_id", "path")


def _topic_or_404(request: HttpRequest, pk: int) -> Topic:
    try:
        return selectors.topic_for(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _meeting_or_404(request: HttpRequest, pk: int) -> Meeting:
    """A meeting the viewer runs, or whose door they may keep (a community's meeting: its stewards too)."""
    found = Meeting.objects.select_related("node", "topic").filter(pk=pk).first()
    if found is None or not (
        selectors.meetings_visible_to(request.user).filter(pk=pk).exists()
        or policies.can_desk(request.user, found.node)
    ):
        raise Http404(_("No such meeting in your area."))
    return found


def _vote_or_404(request: HttpRequest, pk: int) -> Vote:
    found = Vote.objects.select_related("node", "topic", "topic__node").filter(pk=pk).first()
    if found is None or not (
        selectors.topics_visible_to(request.user).filter(pk=found.topic_id).exists()
        or policies.can_desk(request.user, found.node)
    ):
        raise Http404(_("No such vote in your area."))
    return found


def _notice_or_404(request: HttpRequest, pk: int) -> Notice:
    found = selectors.notices_visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such notice in your area."))
    return found


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse | None:
    """404 and 403 answers for a service's refusal; None for the others (the page shows them)."""
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    if isinstance(exc, PermissionDenied):
        return _forbidden(request, exc.message)
    return None


def _label(step: str) -> str:
    return str(Step(step).label)


# ---------------------------------------------------------------------------------------------------- topics


@login_required
@never_cache
def topics(request: HttpRequest) -> HttpResponse:
    """The topics in scope, by step (tabs with counts) and node."""
    if not _bench(request).topics:
        return _forbidden(request, _("Your posts run no deliberation."))
    rows = selectors.topics_visible_to(request.user)
    form = forms.FilterForm(request.GET)
    step = node_id = None
    if form.is_valid():
        step = form.cleaned_data["step"] if form.cleaned_data["step"] in Step.values else None
        node_id = form.cleaned_data["node"]
    node = None
    if node_id:
        node = GridNode.objects.filter(pk=node_id).first()
        if node is not None:
            rows = rows.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
    counts = dict(rows.order_by().values_list("step").annotate(n=Count("pk")).values_list("step", "n"))
    tabs = [
        {"step": value, "label": label, "count": counts.get(value, 0), "current": value == step}
        for value, label in Step.choices
    ]
    if step:
        rows = rows.filter(step=step)
    context = {
        "rows": list(rows.order_by("-updated_at", "-pk")[:MAX_ROWS]),
        "tabs": tabs,
        "total": sum(counts.values()),
        "step": step or "",
        "node": node,
        "nodes": _nodes(request.user, roles.DELIBERATION_DESK)
        if grid_selectors.capability_condition(request.user, roles.DELIBERATION_DESK) is not None
        else _nodes(request.user, roles.DELIBERATION_MANAGE),
        "manage": _bench(request).deliberation_manage,
    }
    return render(request, "console/deliberation/topics.html", context)


@dataclass(frozen=True)
class Origin_:
    origin: str
    origin_id: int | None
    origin_code: str
    label: str
    node: GridNode | None


def _origin(request: HttpRequest) -> Origin_:
    """Where a new topic comes from: ?case=<id> or ?need=<id> (read in the viewer's scope), else staff."""
    case_id, need_id = parse_id(request.GET.get("case")), parse_id(request.GET.get("need"))
    if (request.GET.get("case") and case_id is None) or (request.GET.get("need") and need_id is None):
        raise Http404(_("No such case or need in your area."))
    if case_id is not None:
        try:
            case = case_selectors.case_for(request.user, case_id)
        except NotFound as exc:
            raise Http404(exc.message) from None
        node = case.grid_node
        community = grid_selectors.ancestor_at(node, roles.COMMUNITY) if node is not None else None
        return Origin_(Origin.CASE, case.pk, case.tracking_code, case.tracking_code, community or node)
    if need_id is not None:
        try:
            need = lists_selectors.need_for(request.user, need_id)
        except NotFound as exc:
            raise Http404(exc.message) from None
        return Origin_(Origin.NEED, need.pk, "", need.title, need.node)
    return Origin_(Origin.STAFF, None, "", "", None)


def _origin_initial(request: HttpRequest, origin: Origin_) -> dict[str, Any]:
    """The title and text a topic from a case or a need starts with: the case's public summary (or title), never
    who reported it."""
    if origin.origin == Origin.CASE and origin.origin_id:
        case = case_selectors.case_for(request.user, origin.origin_id)
        return {"title": case.title[:120], "body": (case.public_summary or case.title)[:4000], "node": origin.node}
    if origin.origin == Origin.NEED and origin.origin_id:
        need = lists_selectors.need_for(request.user, origin.origin_id)
        return {"title": need.title[:120], "body": (need.description or need.title)[:4000], "node": origin.node}
    return {}


@login_required
@never_cache
def topic_new(request: HttpRequest) -> HttpResponse:
    """Start a topic: on one's own, from a case (?case=) or from a need (?need=) that needs the residents'
    agreement."""
    if not _bench(request).deliberation_manage:
        return _forbidden(request, _("Your posts run no deliberation."))
    origin = _origin(request)
    nodes = _node_queryset(request.user, roles.DELIBERATION_MANAGE)
    initial = _origin_initial(request, origin) if request.method != "POST" else {}
    if initial.get("node") is not None and not nodes.filter(pk=initial["node"].pk).exists():
        initial.pop("node")
    form = forms.TopicForm(request.POST or None, initial=initial, nodes=nodes)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                topic = services.start_topic(
                    actor=request.user,
                    node=data["node"],
                    title=data["title"],
                    body=data["body"],
                    origin=origin.origin,
                    origin_id=origin.origin_id,
                    origin_code=origin.origin_code,
                    step_until=data["step_until"],
                )
            except DomainError as exc:
                if (answer := _refused(request, exc)) is not None:
                    return answer
                form.add_error(None, exc.message)
                status = exc.http_status
            else:
                messages.success(request, _("Topic started."))
                return redirect("console:topic", topic.pk)
        else:
            status = 400
    context = {"form": form, "origin": origin, "action": request.get_full_path()}
    return render(request, "console/deliberation/topic_new.html", context, status=status)


def _timeline(topic: Topic) -> list[dict[str, Any]]:
    changes = list(topic.step_changes.select_related("by").order_by("at", "pk"))
    last: dict[str, Any] = {}
    for change in changes:
        last[change.step_to] = change
    active = steps.STEPS.index(topic.step) if topic.step in steps.STEPS else -1
    return [
        {
            "step": value,
            "label": _label(value),
            "active": value == topic.step,
            "done": 0 <= i < active or (topic.step == Step.DROPPED and value in last),
            "at": last[value].at if value in last else None,
        }
        for i, value in enumerate(steps.STEPS)
    ]


def _turnout(vote: Vote) -> dict[str, Any]:
    eligible = Eligible.objects.filter(vote=vote).count()
    cast = Ballot.objects.filter(vote=vote).count()
    return {"vote": vote, "eligible": eligible, "cast": cast}


def _topic_context(request: HttpRequest, topic: Topic, **overrides: Any) -> dict[str, Any]:
    user = request.user
    manage = policies.can_manage(user, topic.node)
    desk = policies.can_desk(user, topic.node)
    facts = services.facts(topic)
    moves = [
        {"to": to, "label": _label(to), "back": to == steps.DROPPED or steps.BACK.get(topic.step) == to}
        for to in (steps.allowed(topic.step, facts) if manage else [])
    ]
    blocked = ""
    forward = steps.FORWARD.get(topic.step)
    if manage and forward is not None:
        try:
            steps.check(topic.step, forward, facts)
        except steps.StepRefused as exc:
            blocked = _(exc.reason)  # why the next step is not offered yet
    context: dict[str, Any] = {
        "topic": topic,
        "blocked": blocked,
        "timeline": _timeline(topic),
        "history": list(topic.step_changes.select_related("by").order_by("-at", "-pk")),
        "moves": moves,
        "manage": manage,
        "desk": desk,
        "comments": list(selectors.staff_comments(topic)),
        "commentable": topic.step in services.COMMENTABLE,
        "meetings": list(topic.meetings.order_by("starts", "pk")),
        "votes": [_turnout(v) for v in topic.votes.order_by("opens_at", "pk")],
        "move_form": forms.MoveForm(),
        "decision_form": forms.DecisionForm(initial={"text": topic.decision}),
        "result_form": forms.ResultForm(initial={"text": topic.result}),
        "reply_form": forms.ReplyForm(),
        "hide_form": forms.HideForm(),
        "by_residents": topic.origin == Origin.RESIDENTS,
        "error": "",
        "max_photos": RESULT_PHOTOS,
    }
    context.update(overrides)
    return context


def _topic_page(request: HttpRequest, topic: Topic, *, status: int = 200, **overrides: Any) -> HttpResponse:
    return render(
        request, "console/deliberation/topic.html", _topic_context(request, topic, **overrides), status=status
    )


@login_required
@never_cache
def topic(request: HttpRequest, topic_id: int) -> HttpResponse:
    return _topic_page(request, _topic_or_404(request, topic_id))


def _manage_topic(request: HttpRequest, topic_id: int) -> tuple[Topic, HttpResponse | None]:
    found = _topic_or_404(request, topic_id)
    if not policies.can_manage(request.user, found.node):
        return found, _forbidden(request, _("Only the staff running the topic may do this."))
    return found, None


def _topic_refused(request: HttpRequest, found: Topic, exc: DomainError, **overrides: Any) -> HttpResponse:
    if (answer := _refused(request, exc)) is not None:
        return answer
    found.refresh_from_db()
    return _topic_page(request, found, status=exc.http_status, error=exc.message, **overrides)


@login_required
@never_cache
@require_POST
def topic_move(request: HttpRequest, topic_id: int) -> HttpResponse:
    """Move the topic to the step chosen (forward, back to deliberation, or drop it: a reason is then required)."""
    found, denied = _manage_topic(request, topic_id)
    if denied:
        return denied
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        return _topic_page(request, found, status=400, error=_("Choose a step."), move_form=form)
    data = form.cleaned_data
    try:
        services.move(topic=found, to=data["to"], actor=request.user, reason=data["reason"], until=data["until"])
    except DomainError as exc:
        return _topic_refused(request, found, exc, move_form=form)
    messages.success(request, _("The topic moved to: %(step)s") % {"step": _label(data["to"])})
    return redirect("console:topic", found.pk)


@login_required
@never_cache
@require_POST
def topic_decision(request: HttpRequest, topic_id: int) -> HttpResponse:
    found, denied = _manage_topic(request, topic_id)
    if denied:
        return denied
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _topic_page(request, found, status=400, error=_("Write the decision."), decision_form=form)
    try:
        services.record_decision(topic=found, actor=request.user, text=form.cleaned_data["text"])
    except DomainError as exc:
        return _topic_refused(request, found, exc, decision_form=form)
    messages.success(request, _("Decision recorded."))
    return redirect("console:topic", found.pk)


def _result_limit() -> int:
    return photos.request_limit(RESULT_PHOTOS)


@login_required
@never_cache
@uploads.limit_request_size(_result_limit)
@require_POST
def topic_result(request: HttpRequest, topic_id: int) -> HttpResponse:
    """The result of the decision, with photos (cleaned like a visit's), once the decision is public."""
    found, denied = _manage_topic(request, topic_id)
    if denied:
        return denied
    form = forms.ResultForm(request.POST, request.FILES)
    if not form.is_valid():
        return _topic_page(request, found, status=400, error=_("Write the result."), result_form=form)
    cleaned: list[photos.CleanPhoto] = form.cleaned_data["photos"]
    stored = photos.store(cleaned, prefix=f"deliberation/results/{found.pk}") if cleaned else []
    try:
        services.record_result(
            topic=found, actor=request.user, text=form.cleaned_data["text"], photos=[*found.result_photos, *stored]
        )
    except DomainError as exc:
        photos.discard(stored)
        return _topic_refused(request, found, exc, result_form=form)
    except Exception:
        photos.discard(stored)
        raise
    messages.success(request, _("Result recorded."))
    return redirect("console:topic", found.pk)


@login_required
@never_cache
@require_POST
def topic_reply(request: HttpRequest, topic_id: int) -> HttpResponse:
    """A reply from staff, or from a stakeholder speaking for their organisation (业委会, 物业公司)."""
    found = _topic_or_404(request, topic_id)
    if not policies.can_desk(request.user, found.node):
        return _forbidden(request, _("Only the staff of the topic's area may reply."))
    form = forms.ReplyForm(request.POST)
    if not form.is_valid():
        return _topic_page(request, found, status=400, error=_("Write the reply."), reply_form=form)
    data = form.cleaned_data
    reply_to = None
    if request.POST.get("reply_to"):
        reply_to = found.comments.filter(pk=parse_id(request.POST.get("reply_to")) or 0).first()
        if reply_to is None:
            raise Http404(_("No such comment."))
    name = request.user.get_full_name() if hasattr(request.user, "get_full_name") else ""
    try:
        services.comment(
            topic=found,
            body=data["body"],
            actor=request.user,
            organisation=data["organisation"],
            author_label=f"社区 {name}".strip()[:64],
            reply_to=reply_to,
        )
    except DomainError as exc:
        return _topic_refused(request, found, exc, reply_form=form)
    messages.success(request, _("Reply posted."))
    return redirect(reverse("console:topic", args=[found.pk]) + "#comments")


@login_required
@never_cache
@require_POST
def comment_hide(request: HttpRequest, topic_id: int, comment_id: int) -> HttpResponse:
    found, denied = _manage_topic(request, topic_id)
    if denied:
        return denied
    target = found.comments.filter(pk=comment_id).first()
    if target is None:
        raise Http404(_("No such comment."))
    form = forms.HideForm(request.POST)
    if not form.is_valid():
        return _topic_page(request, found, status=400, error=_("Say why the comment is hidden."))
    try:
        services.hide_comment(comment=target, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _topic_refused(request, found, exc)
    messages.success(request, _("Comment hidden."))
    return redirect(reverse("console:topic", args=[found.pk]) + "#comments")


@login_required
@never_cache
@require_POST
def comment_show(request: HttpRequest, topic_id: int, comment_id: int) -> HttpResponse:
    found, denied = _manage_topic(request, topic_id)
    if denied:
        return denied
    target = found.comments.filter(pk=comment_id).first()
    if target is None:
        raise Http404(_("No such comment."))
    try:
        services.show_comment(comment=target, actor=request.user)
    except DomainError as exc:
        return _topic_refused(request, found, exc)
    messages.success(request, _("Comment shown again."))
    return redirect(reverse("console:topic", args=[found.pk]) + "#comments")


# ---------------------------------------------------------------------------------------------------- meetings


@login_required
@never_cache
def meetings(request: HttpRequest) -> HttpResponse:
    if not _bench(request).topics:
        return _forbidden(request, _("Your posts run no deliberation."))
    rows = selectors.meetings_visible_to(request.user).order_by("-starts", "-pk")[:MAX_ROWS]
    context = {"rows": list(rows), "manage": _bench(request).deliberation_manage}
    return render(request, "console/deliberation/meetings.html", context)


@login_required
@never_cache
def meeting_new(request: HttpRequest) -> HttpResponse:
    """Plan a meeting: for a topic (?topic=<id>) or on its own (a face-to-face session, 书记面对面)."""
    if not _bench(request).deliberation_manage:
        return _forbidden(request, _("Your posts run no deliberation."))
    for_topic = None
    if request.GET.get("topic"):
        topic_id = parse_id(request.GET.get("topic"))
        if topic_id is None:
            raise Http404(_("No such topic."))
        for_topic = _topic_or_404(request, topic_id)
        if not policies.can_manage(request.user, for_topic.node):
            return _forbidden(request, _("Only the staff running the topic may do this."))
    nodes = _node_queryset(request.user, roles.DELIBERATION_MANAGE)
    initial: dict[str, Any] = {"node": for_topic.node if for_topic else None, "kind": "hearing" if for_topic else ""}
    if for_topic:
        initial["title"] = for_topic.title[:120]
    form = forms.MeetingForm(request.POST or None, initial=initial, nodes=nodes)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                meeting = services.plan_meeting(actor=request.user, topic=for_topic, **data)
            except DomainError as exc:
                if (answer := _refused(request, exc)) is not None:
                    return answer
                form.add_error(None, exc.message)
                status = exc.http_status
            else:
                messages.success(request, _("Meeting planned."))
                return redirect("console:meeting", meeting.pk)
        else:
            status = 400
    context = {"form": form, "topic": for_topic, "action": request.get_full_path()}
    return render(request, "console/deliberation/meeting_new.html", context, status=status)


@dataclass(frozen=True)
class RaisedCase:
    tracking_code: str
    title: str
    case_id: int
    status: str  # the case's live status, as the viewer may see it ("" out of their sight)
    url: str


def _raised_cases(request: HttpRequest, meeting: Meeting) -> list[RaisedCase]:
    links = list(selectors.meeting_cases(meeting))
    visible = {
        case.pk: case
        for case in case_selectors.case_list_visible_to(request.user).filter(pk__in=[x.case_id for x in links])
    }
    return [
        RaisedCase(
            tracking_code=x.tracking_code,
            title=x.title,
            case_id=x.case_id,
            status=visible[x.case_id].get_status_display() if x.case_id in visible else "",
            url=reverse("console:case", args=[x.case_id]) if x.case_id in visible else "",
        )
        for x in links
    ]


def _check_in_url(request: HttpRequest, meeting: Meeting) -> str:
    return qr.base_url(request).rstrip("/") + CHECK_IN_PATH.format(token=meeting.check_in_token)


def _meeting_context(request: HttpRequest, meeting: Meeting, **overrides: Any) -> dict[str, Any]:
    user = request.user
    registrations = list(meeting.registrations.select_related("checked_in_by").order_by("pk"))
    context: dict[str, Any] = {
        "meeting": meeting,
        "manage": policies.can_manage(user, meeting.node),
        "desk": policies.can_desk(user, meeting.node),
        "registrations": [
            {
                "name": mask_name(r.name) if r.name else "",
                "phone": mask_phone(r.phone) if r.phone else "",
                "registered": r.registered_at is not None,
                "attended": r.attended,
                "at": r.checked_in_at,
            }
            for r in registrations
        ],
        "registered": sum(1 for r in registrations if r.registered_at is not None),
        "attended": sum(1 for r in registrations if r.attended),
        "cases": _raised_cases(request, meeting),
        "invited": [line.strip() for line in meeting.invited.splitlines() if line.strip()],
        "check_in_form": forms.CheckInForm(),
        "minutes_form": forms.MinutesForm(initial={"minutes": meeting.minutes, "decisions": meeting.decisions}),
        "case_form": forms.RaiseCaseForm(),
        "error": "",
    }
    context.update(overrides)
    return context


def _meeting_page(request: HttpRequest, meeting: Meeting, *, status: int = 200, **overrides: Any) -> HttpResponse:
    context = _meeting_context(request, meeting, **overrides)
    return render(request, "console/deliberation/meeting.html", context, status=status)


def _meeting_refused(request: HttpRequest, found: Meeting, exc: DomainError, **overrides: Any) -> HttpResponse:
    if (answer := _refused(request, exc)) is not None:
        return answer
    found.refresh_from_db()
    return _meeting_page(request, found, status=exc.http_status, error=exc.message, **overrides)


@login_required
@never_cache
def meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _meeting_page(request, _meeting_or_404(request, meeting_id))


@login_required
@never_cache
def meeting_sheet(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The printable check-in sheet: the QR code of the resident check-in page, the place and the time."""
    found = _meeting_or_404(request, meeting_id)
    url = _check_in_url(request, found)
    context = {"meeting": found, "url": url, "qr": qr.qr_data_uri(url)}
    return render(request, "console/deliberation/meeting_sheet.html", context)


@login_required
@never_cache
@require_POST
def meeting_check_in(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Check a resident in at the door: by phone, or by name without one."""
    found = _meeting_or_404(request, meeting_id)
    form = forms.CheckInForm(request.POST)
    if not form.is_valid():
        return _meeting_page(
            request, found, status=400, error=_("Give the phone number or, without one, the name."), check_in_form=form
        )
    try:
        services.check_in_by_staff(
            meeting=found, actor=request.user, phone=form.cleaned_data["phone"], name=form.cleaned_data["name"]
        )
    except DomainError as exc:
        return _meeting_refused(request, found, exc, check_in_form=form)
    messages.success(request, _("Checked in."))
    return redirect(reverse("console:meeting", args=[found.pk]) + "#door")


@login_required
@never_cache
@require_POST
def meeting_minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = _meeting_or_404(request, meeting_id)
    if not policies.can_manage(request.user, found.node):
        return _forbidden(request, _("Only the staff running the meeting may do this."))
    form = forms.MinutesForm(request.POST)
    if not form.is_valid():
        return _meeting_page(request, found, status=400, error=_("Write the minutes."), minutes_form=form)
    try:
        services.record_minutes(meeting=found, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _meeting_refused(request, found, exc, minutes_form=form)
    messages.success(request, _("Minutes recorded."))
    return redirect("console:meeting", found.pk)


@login_required
@never_cache
@require_POST
def meeting_cancel(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = _meeting_or_404(request, meeting_id)
    if not policies.can_manage(request.user, found.node):
        return _forbidden(request, _("Only the staff running the meeting may do this."))
    try:
        services.cancel_meeting(meeting=found, actor=request.user)
    except DomainError as exc:
        return _meeting_refused(request, found, exc)
    messages.success(request, _("Meeting cancelled."))
    return redirect("console:meeting", found.pk)


RAISED_AT = "_raised_at"


def raise_case(*, meeting: Meeting, actor: Any, title: str, description: str = "") -> tuple[int, str]:
    """A problem raised at a meeting (书记面对面): filed as a case (a walk-in: the resident came and said it), flagged
    ``_raised_at: meeting:<id>``, and linked to the meeting — in one transaction, or nothing. The case's reads run
    first (``prepare_submission``), as in ``care_flows``."""
    if not grid_selectors.user_can(actor, roles.CASE_RECORD, meeting.node):
        raise PermissionDenied(_("Your posts do not record cases here."))
    if not policies.can_desk(actor, meeting.node):
        raise NotFound(services.NOT_FOUND)
    submission = case_services.prepare_submission(
        jurisdiction=Jurisdiction.objects.get(pk=meeting.jurisdiction_id),
        channel=Channel.WALK_IN,
        title=title,
        description=description,
        place_node=meeting.node,
        recorded_by=actor,
        internal_attributes={RAISED_AT: f"meeting:{meeting.pk}"},
    )
    with transaction.atomic():
        case = case_services.file_submission(submission)
        services.link_case(
            meeting=meeting.pk, case_id=case.pk, tracking_code=case.tracking_code, title=case.title, actor=actor
        )
    return case.pk, case.tracking_code


@login_required
@never_cache
@require_POST
def meeting_raise(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = _meeting_or_404(request, meeting_id)
    form = forms.RaiseCaseForm(request.POST)
    if not form.is_valid():
        return _meeting_page(request, found, status=400, error=_("Say the problem in one line."), case_form=form)
    try:
        _pk, code = raise_case(meeting=found, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _meeting_refused(request, found, exc, case_form=form)
    messages.success(request, _("Case %(code)s filed and followed from this meeting.") % {"code": code})
    return redirect(reverse("console:meeting", args=[found.pk]) + "#raised")


# ---------------------------------------------------------------------------------------------------- votes


@login_required
@never_cache
def vote_new(request: HttpRequest, topic_id: int) -> HttpResponse:
    found, denied = _manage_topic(request, topic_id)
    if denied:
        return denied
    form = forms.VoteForm(request.POST or None, initial={"strict": True})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                vote = services.create_vote(topic=found, actor=request.user, **data)
            except DomainError as exc:
                if (answer := _refused(request, exc)) is not None:
                    return answer
                form.add_error(None, exc.message)
                status = exc.http_status
            else:
                messages.success(request, _("Vote created: set who may vote, then open it."))
                return redirect("console:vote", vote.pk)
        else:
            status = 400
    return render(request, "console/deliberation/vote_new.html", {"form": form, "topic": found}, status=status)


def _vote_context(request: HttpRequest, vote: Vote, **overrides: Any) -> dict[str, Any]:
    user = request.user
    closed = vote.status == VoteStatus.CLOSED
    turnout = _turnout(vote)
    context: dict[str, Any] = {
        "vote": vote,
        "topic": vote.topic,
        "manage": policies.can_manage(user, vote.node),
        "desk": policies.can_desk(user, vote.node),
        "turnout": turnout,
        "options": list(vote.options.values_list("label", flat=True)),
        "rule": selectors.public_vote(vote).rule,
        # The counts only once closed: never before.
        "result": _result_rows(vote) if closed else None,
        "eligible": list(Eligible.objects.filter(vote=vote).order_by("label", "pk")[:MAX_ROWS]),
        "list_form": forms.EligibleListForm(),
        "problems": [],
        "error": "",
        "max_rows": MAX_LIST_ROWS,
    }
    context.update(overrides)
    return context


def _result_rows(vote: Vote) -> dict[str, Any]:
    result = vote.result or {}
    counts = result.get("counts", {})
    weights = result.get("weights", {})
    carried = set(result.get("carried", []))
    return {
        "rows": [
            {
                "label": label,
                "count": counts.get(label, 0),
                "weight": weights.get(label, ""),
                "carried": label in carried,
            }
            for label in vote.options.values_list("label", flat=True)
        ],
        "eligible": result.get("eligible", 0),
        "cast": result.get("cast", 0),
        "quorum_met": bool(result.get("quorum_met")),
        "carried": bool(carried),
        "weighted": vote.basis == Basis.OWNER_AREA,
    }


def _vote_page(request: HttpRequest, vote: Vote, *, status: int = 200, **overrides: Any) -> HttpResponse:
    return render(request, "console/deliberation/vote.html", _vote_context(request, vote, **overrides), status=status)


def _manage_vote(request: HttpRequest, vote_id: int) -> tuple[Vote, HttpResponse | None]:
    found = _vote_or_404(request, vote_id)
    if not policies.can_manage(request.user, found.node):
        return found, _forbidden(request, _("Only the staff running the vote may do this."))
    return found, None


def _vote_refused(request: HttpRequest, found: Vote, exc: DomainError, **overrides: Any) -> HttpResponse:
    if (answer := _refused(request, exc)) is not None:
        return answer
    found.refresh_from_db()
    return _vote_page(request, found, status=exc.http_status, error=exc.message, **overrides)


@login_required
@never_cache
def vote(request: HttpRequest, vote_id: int) -> HttpResponse:
    found = _vote_or_404(request, vote_id)
    if not selectors.topics_visible_to(request.user).filter(pk=found.topic_id).exists():
        return redirect("console:vote_desk", found.pk)  # the door's desk: stewards of the community
    return _vote_page(request, found)


def _door(label: str, room: str) -> str:
    return " ".join(part for part in (label.strip(), room.strip()) if part)[:64]


@login_required
@never_cache
@require_POST
def vote_from_registry(request: HttpRequest, vote_id: int) -> HttpResponse:
    """Eligibility from the care registry: one vote per household under the vote's node, cast by its living members'
    phones; the door is the label."""
    found, denied = _manage_vote(request, vote_id)
    if denied:
        return denied
    if found.basis != Basis.HOUSEHOLD:
        return _vote_page(
            request,
            found,
            status=400,
            error=_("The registry gives one vote per household: import a list for the other ways of voting."),
        )
    households = care_selectors.voters_under(found.node)
    if not households:
        return _vote_page(request, found, status=409, error=_("The registry has no household there."))
    voters = [
        services.Voter(
            key=care_selectors.household_key(h.household_id),
            label=_door(h.building_name, h.room) or f"#{h.household_id}",
            phones=h.phones,
        )
        for h in households
    ]
    try:
        count = services.set_eligible(vote=found, actor=request.user, voters=voters)
    except DomainError as exc:
        return _vote_refused(request, found, exc)
    messages.success(request, _("%(n)d households may vote.") % {"n": count})
    return redirect("console:vote", found.pk)


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    reason: str


HEADINGS = {
    "key": ("编号", "key"),
    "label": ("房号", "标签", "房号/标签", "label", "door"),
    "weight": ("面积", "weight", "area"),
    "phones": ("手机", "手机号", "phones", "phone"),
}


def _heading(text: object) -> str | None:
    clean = str(text or "").strip().casefold()
    for field, names in HEADINGS.items():
        if clean in names:
            return field
    return None


def read_eligible_list(data: bytes, *, basis: str) -> tuple[list[services.Voter], list[Problem]]:
    """The voters of an Excel list (编号, 房号/标签, 面积, 手机): all of them, or the problems (row, column, reason).
    Raises DomainError when the file is no workbook or too long."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise DomainError(_("The file is not an Excel workbook (.xlsx).")) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise DomainError(_("The list is empty."))
        columns: dict[str, int] = {}
        for i, text in enumerate(header):
            field = _heading(text)
            if field and field not in columns:
                columns[field] = i
        missing = [HEADINGS[f][0] for f in ("key", "label") if f not in columns]
        if missing:
            raise DomainError(_("The list needs the columns %(names)s.") % {"names": "、".join(missing)})
        if basis == Basis.OWNER_AREA and "weight" not in columns:
            raise DomainError(_("An owners' vote by floor area needs the column 面积."))
        voters: list[services.Voter] = []
        problems: list[Problem] = []
        keys: dict[str, int] = {}
        phones: dict[str, int] = {}
        for line, values in enumerate(rows, start=2):
            if len(voters) + len(problems) >= MAX_LIST_ROWS:
                raise DomainError(_("The list has more than %(n)d rows: split it by building.") % {"n": MAX_LIST_ROWS})

            def value(field: str, values: tuple[Any, ...] = values) -> str:
                i = columns.get(field)
                if i is None or i >= len(values) or values[i] is None:
                    return ""
                raw = values[i]
                if isinstance(raw, float) and raw.is_integer():
                    raw = int(raw)
                return str(raw).strip()

            key, label, weight_text, phone_text = value("key"), value("label"), value("weight"), value("phones")
            if not any((key, label, weight_text, phone_text)):
                continue
            row_problems: list[Problem] = []
            if not key:
                row_problems.append(Problem(line, "编号", _("empty")))
            elif len(key) > 50:
                row_problems.append(Problem(line, "编号", _("too long")))
            elif key in keys:
                row_problems.append(Problem(line, "编号", _("the same as row %(n)d") % {"n": keys[key]}))
            if not label:
                row_problems.append(Problem(line, "房号/标签", _("empty")))
            elif len(label) > 64:
                row_problems.append(Problem(line, "房号/标签", _("too long")))
            weight = Decimal(1)
            if weight_text:
                try:
                    weight = Decimal(weight_text)
                except InvalidOperation:
                    row_problems.append(Problem(line, "面积", _("not a number")))
                else:
                    if not weight.is_finite() or weight <= 0 or weight > services.MAX_WEIGHT:
                        row_problems.append(Problem(line, "面积", _("not more than 0")))
                    elif basis != Basis.OWNER_AREA and weight != 1:
                        row_problems.append(Problem(line, "面积", _("only owners' votes by floor area carry weights")))
            elif basis == Basis.OWNER_AREA:
                row_problems.append(Problem(line, "面积", _("empty")))
            found_phones: list[str] = []
            for chunk in PHONE_SPLIT.split(phone_text):
                if not chunk:
                    continue
                digits = crypto.normalise_phone(chunk)
                if not (len(digits) == 11 and digits.startswith("1")):
                    row_problems.append(
                        Problem(line, "手机", _("not a mobile number: %(text)s") % {"text": chunk[:20]})
                    )
                elif digits in phones or digits in found_phones:
                    row_problems.append(
                        Problem(line, "手机", _("the same phone as row %(n)d") % {"n": phones.get(digits, line)})
                    )
                else:
                    found_phones.append(digits)
            if row_problems:
                problems.extend(row_problems)
                continue
            keys[key] = line
            for digits in found_phones:
                phones[digits] = line
            voters.append(services.Voter(key=f"list:{key}", label=label, weight=weight, phones=tuple(found_phones)))
        if not voters and not problems:
            raise DomainError(_("The list is empty."))
        return voters, problems
    finally:
        book.close()


def _list_limit() -> int:
    return MAX_LIST_BYTES + 64 * 1024


@login_required
@never_cache
@uploads.limit_request_size(_list_limit)
@require_POST
def vote_from_list(request: HttpRequest, vote_id: int) -> HttpResponse:
    """Eligibility from an Excel list: all rows or none; the problems are listed by row and column."""
    found, denied = _manage_vote(request, vote_id)
    if denied:
        return denied
    form = forms.EligibleListForm(request.POST, request.FILES)
    if not form.is_valid():
        return _vote_page(request, found, status=400, error=_("Choose an Excel file."), list_form=form)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_LIST_BYTES:
        return _vote_page(request, found, status=400, error=_("The file is too large."))
    try:
        voters, problems = read_eligible_list(upload.read(), basis=found.basis)
    except DomainError as exc:
        return _vote_page(request, found, status=400, error=exc.message)
    if problems:
        return _vote_page(
            request,
            found,
            status=400,
            error=_("Nothing was imported: correct these rows and try again."),
            problems=problems,
        )
    try:
        count = services.set_eligible(vote=found, actor=request.user, voters=voters)
    except DomainError as exc:
        return _vote_refused(request, found, exc)
    messages.success(request, _("%(n)d voters may vote.") % {"n": count})
    return redirect("console:vote", found.pk)


@login_required
@never_cache
@require_POST
def vote_open(request: HttpRequest, vote_id: int) -> HttpResponse:
    found, denied = _manage_vote(request, vote_id)
    if denied:
        return denied
    try:
        services.open_vote(vote=found, actor=request.user)
    except DomainError as exc:
        return _vote_refused(request, found, exc)
    messages.success(request, _("The vote is open."))
    return redirect("console:vote", found.pk)


@login_required
@never_cache
@require_POST
def vote_close(request: HttpRequest, vote_id: int) -> HttpResponse:
    found, denied = _manage_vote(request, vote_id)
    if denied:
        return denied
    try:
        services.close_vote(vote=found, actor=request.user)
    except DomainError as exc:
        return _vote_refused(request, found, exc)
    messages.success(request, _("The vote is closed and counted."))
    return redirect("console:vote", found.pk)


def _desk_page(request: HttpRequest, found: Vote, *, status: int = 200, **overrides: Any) -> HttpResponse:
    form = forms.DeskFindForm(request.GET or None)
    matches: list[dict[str, Any]] = []
    if form.is_valid():
        rows = Eligible.objects.filter(vote=found, label__icontains=form.cleaned_data["q"]).order_by("label", "pk")[:20]
        voted = set(Ballot.objects.filter(vote=found, eligible__in=rows).values_list("eligible_id", flat=True))
        matches = [{"eligible": e, "voted": e.pk in voted} for e in rows]
    context = {
        "vote": found,
        "form": form,
        "matches": matches,
        "searched": form.is_valid(),
        "options": list(found.options.values_list("pk", "label")),
        "open": found.status == VoteStatus.OPEN,
        "turnout": _turnout(found),
        "error": "",
    }
    context.update(overrides)
    return render(request, "console/deliberation/vote_desk.html", context, status=status)


@login_required
@never_cache
def vote_desk(request: HttpRequest, vote_id: int) -> HttpResponse:
    """The vote's desk: find an eligible voter by their door and cast their vote for them (a resident without a phone
    who told staff in person), with a note (logged by the service)."""
    found = _vote_or_404(request, vote_id)
    if not policies.can_desk(request.user, found.node):
        return _forbidden(request, _("Only the staff of the vote's area keep its desk."))
    if request.method != "POST":
        return _desk_page(request, found)
    form = forms.DeskCastForm(request.POST)
    if not form.is_valid():
        return _desk_page(request, found, status=400, error=_("Choose an option and write who told you."))
    data = form.cleaned_data
    try:
        services.cast_for(
            vote=found, actor=request.user, eligible=data["eligible"], option=data["option"], note=data["note"]
        )
    except DomainError as exc:
        if (answer := _refused(request, exc)) is not None:
            return answer
        return _desk_page(request, found, status=exc.http_status, error=exc.message)
    messages.success(request, _("The vote was cast."))
    return redirect("console:vote_desk", found.pk)


# ---------------------------------------------------------------------------------------------------- notices


def _notice_state(notice: Notice, now: Any) -> str:
    if notice.status == NoticeStatus.WITHDRAWN:
        return "withdrawn"
    if notice.status == NoticeStatus.PUBLISHED and notice.expires_at <= now:
        return "expired"
    return "live" if notice.status == NoticeStatus.PUBLISHED else "draft"


@login_required
@never_cache
def notices(request: HttpRequest) -> HttpResponse:
    """The notices in scope (live, expired, withdrawn), with how many opened them and the text messages sent; the
    form to publish one."""
    user = request.user
    if not _bench(request).notices:
        return _forbidden(request, _("Your posts publish no notices."))
    now = timeutil.now()
    nodes = _node_queryset(user, roles.NOTICE_PUBLISH)
    condition = grid_selectors.capability_condition(user, roles.NOTICE_PUBLISH, "node__") or Q(pk__in=[])
    buildings = Building.objects.filter(condition).order_by("name", "pk")
    ids = list(buildings.values_list("pk", flat=True)[:MAX_BUILDINGS])
    form = forms.NoticeForm(
        request.POST or None,
        nodes=nodes,
        buildings=Building.objects.filter(pk__in=ids).select_related("node").order_by("name", "pk"),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.publish_notice(actor=user, **data)
            except DomainError as exc:
                if (answer := _refused(request, exc)) is not None:
                    return answer
                form.add_error(None, exc.message)
                status = exc.http_status
            else:
                messages.success(request, _("Notice published."))
                return redirect("console:notices")
        else:
            status = 400
    shown = request.GET.get("state", "")
    rows = []
    for notice in selectors.notices_visible_to(user).order_by("-published_at", "-pk")[:MAX_ROWS]:
        state = _notice_state(notice, now)
        if shown and state != shown:
            continue
        rows.append({"notice": notice, "state": state})
    context = {"rows": rows, "form": form, "state": shown, "open_form": status != 200}
    return render(request, "console/deliberation/notices.html", context, status=status)


@login_required
@never_cache
@require_POST
def notice_withdraw(request: HttpRequest, notice_id: int) -> HttpResponse:
    found = _notice_or_404(request, notice_id)
    try:
        services.withdraw_notice(notice=found, actor=request.user)
    except DomainError as exc:
        if (answer := _refused(request, exc)) is not None:
            return answer
        messages.error(request, exc.message)
        return redirect("console:notices")
    messages.success(request, _("Notice withdrawn."))
    return redirect("console:notices")
