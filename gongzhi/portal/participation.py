"""What the resident pages of taking part share (deliberation, the people of the grid: proposing, supporting,
voting, applying, signing up): the phone login of the session, refusals that say why and write nothing, the
per-number rate limit, and the building whose QR code brought the resident here."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from gongzhi.core import throttle
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building
from gongzhi.portal import phone_login

# The building a resident came from (its QR code, or ``?b=<token>``), remembered for the visit.
SESSION_BUILDING = "portal_delib_building"


def login_url(next_url: str) -> str:
    return reverse("portal:login") + "?next=" + quote(next_url, safe="/")


def phone_session(request: HttpRequest) -> tuple[dict[str, str] | None, str]:
    """The phone login of this session and its verified number ((None, "") when there is none)."""
    login = phone_login.current(request)
    number = phone_login.number(request) if login else ""
    return (login, number) if login and number else (None, "")


def refused(
    request: HttpRequest,
    template: str,
    title: str,
    message: str,
    *,
    status: int,
    back: str,
    login: bool = False,
    **extra: Any,
) -> HttpResponse:
    """A refusal with its message and status (nothing was written), and the way back (to log in first when
    ``login``)."""
    context = {"title": title, "message": message, "back": back, "login_url": login_url(back) if login else ""}
    return render(request, template, {**context, **extra}, status=status)


def needs_login(request: HttpRequest, template: str, back: str) -> HttpResponse:
    return refused(
        request,
        template,
        _("Log in first"),
        _("Log in with your mobile number to take part: a code is sent by text message."),
        status=403,
        back=back,
        login=True,
    )


def throttled(scope: str, index: str) -> int:
    """Counts one write of a resident (their number's blind index); the seconds to wait when past the limit (the
    reports' limit, ``GONGZHI_REPORT_RATE_LIMIT``), else 0."""
    limit, seconds = settings.GONGZHI_REPORT_RATE_LIMIT
    verdict = throttle.hit(scope, throttle.key_for(scope + ":" + index), limit=limit, seconds=seconds)
    return 0 if verdict.allowed else max(verdict.retry_after, 1)


def too_many(request: HttpRequest, template: str, retry_after: int, back: str) -> HttpResponse:
    response = refused(
        request,
        template,
        _("Please wait a little"),
        _("You have sent a lot in a short time. Please try again in %(minutes)s minutes.")
        % {"minutes": max(retry_after // 60, 1)},
        status=429,
        back=back,
    )
    response["Retry-After"] = str(retry_after)
    return response


def came_from(request: HttpRequest) -> Building | None:
    """The building whose QR code brought this resident here: ``?b=<its token>`` (then remembered in the session),
    else the one remembered."""
    token = request.GET.get("b", "")
    if token:
        found = grid_selectors.building_by_token(token[:32])
        if found is not None:
            request.session[SESSION_BUILDING] = found.pk
        return found
    pk = request.session.get(SESSION_BUILDING)
    if not isinstance(pk, int):
        return None
    return Building.objects.select_related("node", "compound", "jurisdiction").filter(pk=pk).first()
