"""Who is the reporter of a case, as the resident pages know it: the browser that sent it (its session remembers the
tracking code), a phone login with the number they gave or were logged in with when they sent it, or their account.
Only the reporter rates, adds information and withdraws; the case services are told so (``verified_reporter``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from gongzhi.portal import phone_login

SESSION_CODES = "portal_codes"


def is_reporter(request: HttpRequest, case: Any) -> bool:
    if case.tracking_code in request.session.get(SESSION_CODES, []):
        return True
    login = phone_login.current(request)
    if login and login["index"] in (case.reporter_phone_index, case.reporter_login_index):
        return True
    return bool(request.user.is_authenticated and case.reporter_id == request.user.pk)
