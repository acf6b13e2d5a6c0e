"""Printable notices of deliberation (PDF, WeasyPrint with the system's Chinese font, like the posters and the
ledger): the two announcements (两公开) of a topic to post in its buildings, and an A4 poster of a notice to residents.

- ``/console/topics/<id>/notice.pdf?which=decision|result``: the topic's title, the decision (with each closed vote's
  result and turnout) or the result (with its photos), the community and the date, and a QR code to the topic's
  resident page. Only once the decision (or the result) is public: 409 before. Staff with deliberation.desk or
  deliberation.manage over the topic's node (others: 404).
- ``/console/notices/<id>/poster.pdf``: the notice (urgent ones marked), the buildings it is for, its dates and a QR
  code to its resident page. Staff with notice.publish over the notice's node; a withdrawn notice is not printed.

The QR codes hold absolute addresses (``core.qr.base_url``: GONGZHI_PUBLIC_URL, else the request's address — pages
made with an address residents cannot reach carry a "do not put up" strip). No personal data is printed: a vote's
result is counts only.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.core import qr, timeutil
from gongzhi.core.errors import NotFound
from gongzhi.deliberation import selectors, steps
from gongzhi.deliberation.choices import NoticeStatus, VoteStatus
from gongzhi.deliberation.models import Notice, Topic
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode

log = logging.getLogger("gongzhi.console")

CSS_PATH = Path(__file__).resolve().parent / "pdf" / "deliberation_print.css"
TOPIC_PATH = "/r/topics/{pk}/"
NOTICE_PATH = "/r/notices/{pk}/"
WHICH = ("decision", "result")
MAX_PHOTOS = 4
MAX_BUILDINGS_NAMED = 12


def topic_url(topic: Topic, base: str) -> str:
    return base.rstrip("/") + TOPIC_PATH.format(pk=topic.pk)


def notice_url(notice: Notice, base: str) -> str:
    return base.rstrip("/") + NOTICE_PATH.format(pk=notice.pk)


def community_name(node: GridNode) -> str:
    found = grid_selectors.ancestor_at(node, roles.COMMUNITY)
    return (found or node).name


def _local_date(moment: datetime | None) -> str:
    return f"{timeutil.local(moment or timeutil.now()):%Y年%m月%d日}"


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return f"{float(Fraction(part, whole) * 100):.1f}%"


@dataclass(frozen=True)
class VoteLine:
    question: str
    counts: list[tuple[str, int]]
    cast: int
    eligible: int
    turnout: str
    quorum_met: bool
    carried: list[str]


def vote_lines(topic: Topic) -> list[VoteLine]:
    """The closed votes of a topic as the notice prints them: counts only, never who voted what."""
    out = []
    for vote in topic.votes.filter(status=VoteStatus.CLOSED).order_by("closed_at", "pk"):
        result: dict[str, Any] = vote.result or {}
        cast, eligible = int(result.get("cast", 0)), int(result.get("eligible", 0))
        labels = list(vote.options.values_list("label", flat=True))
        counts = result.get("counts") or {}
        out.append(
            VoteLine(
                question=vote.question,
                counts=[(label, int(counts.get(label, 0))) for label in labels],
                cast=cast,
                eligible=eligible,
                turnout=_percent(cast, eligible),
                quorum_met=bool(result.get("quorum_met")),
                carried=list(result.get("carried") or []),
            )
        )
    return out


def _photo_uris(names: list[Any]) -> list[str]:
    """The result's photos (names in the default storage, cleaned JPEGs) as data URIs; a missing one is skipped."""
    out = []
    for name in names[:MAX_PHOTOS]:
        if not isinstance(name, str) or not name:
            continue
        try:
            with default_storage.open(name, "rb") as handle:
                data = handle.read()
        except (OSError, ValueError):
            log.warning("result photo %r of a printed notice is missing", name)
            continue
        out.append("data:image/jpeg;base64," + base64.b64encode(data).decode("ascii"))
    return out


def _write_pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import CSS, HTML  # imported here: it loads Pango, which a web worker needs only for PDFs

    html = render_to_string(template, {"site_name": settings.GONGZHI_SITE_NAME, **context})
    return bytes(HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(CSS_PATH))]))


def topic_notice_pdf(topic: Topic, *, which: str, base: str) -> bytes:
    """The announcement (``decision`` or ``result``) of a topic whose decision (result) is public."""
    url = topic_url(topic, base)
    if which == "decision":
        date = _local_date(topic.decided_at or topic.step_since)
    else:
        date = _local_date(topic.step_since if topic.step == steps.RESULT_PUBLIC else None)
    context = {
        "which": which,
        "topic": topic,
        "community": community_name(topic.node),
        "place": topic.node.name,
        "votes": vote_lines(topic) if which == "decision" else [],
        "photos": _photo_uris(list(topic.result_photos or [])) if which == "result" else [],
        "date": date,
        "url": url,
        "qr": qr.qr_data_uri(url),
        "warn": "" if settings.GONGZHI_PUBLIC_URL else qr.unreachable_host(base),
    }
    return _write_pdf("console/deliberation_print/topic_notice.html", context)


def notice_poster_pdf(notice: Notice, *, base: str) -> bytes:
    """An A4 poster of a notice to residents, urgent ones marked, with a QR code to its page."""
    url = notice_url(notice, base)
    chosen = list(notice.buildings.select_related("compound").order_by("name", "pk"))
    context = {
        "notice": notice,
        "community": community_name(notice.node),
        "place": notice.node.name,
        "buildings": [str(b) for b in chosen[:MAX_BUILDINGS_NAMED]],
        "more_buildings": max(0, len(chosen) - MAX_BUILDINGS_NAMED),
        "published": _local_date(notice.published_at),
        "published_time": f"{timeutil.local(notice.published_at or timeutil.now()):%Y-%m-%d %H:%M}",
        "expires": f"{timeutil.local(notice.expires_at):%Y-%m-%d %H:%M}",
        "url": url,
        "qr": qr.qr_data_uri(url),
        "warn": "" if settings.GONGZHI_PUBLIC_URL else qr.unreachable_host(base),
    }
    return _write_pdf("console/deliberation_print/notice_poster.html", context)


def _pdf(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _refuse(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """A clear 400 or 409 with the reason (never a PDF of something not public)."""
    return render(request, "400.html", {"message": message, "again": reverse("console:home")}, status=status)


@login_required
@require_GET
def topic_notice(request: HttpRequest, topic_id: int) -> HttpResponse:
    try:
        topic = selectors.topic_for(request.user, topic_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    which = request.GET.get("which") or "decision"
    if which not in WHICH:
        return _refuse(request, _("Print the decision or the result (which=decision or which=result)."), 400)
    public = steps.is_public_decision(topic.step) if which == "decision" else topic.step == steps.RESULT_PUBLIC
    if not public:
        message = (
            _("The decision is not public yet: make it public before printing its notice.")
            if which == "decision"
            else _("The result is not public yet: make it public before printing its notice.")
        )
        return _refuse(request, message, 409)
    body = topic_notice_pdf(topic, which=which, base=qr.base_url(request))
    return _pdf(body, f"topic-{topic.pk}-{which}.pdf")


@login_required
@require_GET
def notice_poster(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = selectors.notices_visible_to(request.user).filter(pk=notice_id).first()
    if notice is None:
        raise Http404(_("No such notice in your area."))
    if notice.status != NoticeStatus.PUBLISHED:
        return _refuse(request, _("The notice was withdrawn: it is not printed."), 409)
    return _pdf(notice_poster_pdf(notice, base=qr.base_url(request)), f"notice-{notice.pk}.pdf")
