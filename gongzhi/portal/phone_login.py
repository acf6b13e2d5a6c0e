"""Log in with a mobile number and a one-time code sent by text message (residents have no passwords).

A resident's login lives in their session only (the blind index of the number, and the number encrypted with the
field keys — never in clear): "my requests" are the cases whose reporter phone or reporter login phone has that
index. The report form fills the number in for a logged-in resident and uses it when the field is left empty. Codes
are 6 digits, valid CODE_MINUTES, usable once, and die after MAX_ATTEMPTS wrong guesses; how many are sent is limited
per number and per client.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.core import crypto, throttle, timeutil
from gongzhi.core.errors import DomainError
from gongzhi.core.privacy import mask_phone
from gongzhi.notifications import services as notifications
from gongzhi.portal.models import LoginCode

CODE_MINUTES = 10
MAX_ATTEMPTS = 5
SESSION_KEY = "portal_phone"


class TooMany(DomainError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def normalise(phone: str) -> str:
    """The 11-digit mainland mobile number, or DomainError with a message for the resident."""
    typed = re.sub(r"[\s\-().]", "", phone or "")
    # Another country's code must not pass as a mainland number once its "+" is dropped.
    foreign = (typed.startswith("+") and not typed.startswith("+86")) or (
        typed.startswith("00") and not typed.startswith("0086")
    )
    number = crypto.normalise_phone("+86" + typed[4:] if typed.startswith("0086") else typed)
    if foreign or not notifications.MOBILE.fullmatch(number):
        raise DomainError(_("Enter a mainland mobile number: 11 digits starting with 1."))
    return number


def _allowed(verdict: throttle.Verdict) -> None:
    if not verdict.allowed:
        raise TooMany(
            _("Too many codes requested. Please try again in %(minutes)s minutes.")
            % {"minutes": max(verdict.retry_after // 60, 1)},
            retry_after=verdict.retry_after,
        )


def _hash(phone_index: str, code: str) -> str:
    return crypto.blind_index(f"login-code:{phone_index}:{code}")


def request_code(*, phone: str, client: str) -> LoginCode:
    """Send a fresh code to ``phone``. Refused with TooMany past the per-number or per-client limit."""
    number = normalise(phone)
    index = crypto.blind_index(number)
    limit, seconds = settings.GONGZHI_LOGIN_CODE_RATE_LIMIT
    now = timeutil.now()
    # The client's limit first, and both looked at before either is counted: a client past its own limit must not
    # use up the number's codes (anyone could then lock a resident out for the window). A race for the last slot is
    # settled by hit(); the client is counted first, so a client that loses it spends only its own budget.
    limits = (("code-client", throttle.key_for(client)), ("code-phone", index))
    for scope, key in limits:
        _allowed(throttle.peek(scope, key, limit=limit, seconds=seconds, now=now))
    for scope, key in limits:
        _allowed(throttle.hit(scope, key, limit=limit, seconds=seconds, now=now))
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        # A new code replaces the ones sent before.
        LoginCode.objects.filter(phone_index=index, used_at__isnull=True).update(used_at=now)
        row = LoginCode.objects.create(
            phone_index=index,
            code_hash=_hash(index, code),
            created_at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
        notifications.send_sms(phone=number, kind="portal.login_code", context={"code": code, "minutes": CODE_MINUTES})
    return row


def verify(*, phone: str, code: str) -> str:
    """Check the code; returns the number's blind index. Wrong, expired or used codes raise DomainError."""
    number = normalise(phone)
    index = crypto.blind_index(number)
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    now = timeutil.now()
    wrong = DomainError(_("The code is wrong or has expired. Please request a new one."))
    with transaction.atomic():
        row = (
            LoginCode.objects.select_for_update()
            .filter(phone_index=index, used_at__isnull=True, expires_at__gt=now, attempts__lt=MAX_ATTEMPTS)
            .order_by("-created_at")
            .first()
        )
        ok = row is not None and len(code) == 6 and hmac.compare_digest(row.code_hash, _hash(index, code))
        if row is not None:
            # Counted before we answer, outside any caller's rollback: guessing costs an attempt.
            change = {"used_at": now} if ok else {"attempts": row.attempts + 1}
            LoginCode.objects.filter(pk=row.pk).update(**change)
    if not ok:
        raise wrong
    return index


def log_in(request, *, phone: str) -> None:  # type: ignore[no-untyped-def]
    """Remember the verified number in the session (a new session key: no fixation)."""
    number = normalise(phone)
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "index": crypto.blind_index(number),
        "masked": mask_phone(number),
        "number": crypto.encrypt(number),
    }


def log_out(request) -> None:  # type: ignore[no-untyped-def]
    request.session.pop(SESSION_KEY, None)


def current(request) -> dict[str, str] | None:  # type: ignore[no-untyped-def]
    """The login of this session: its blind index, masked and (encrypted) number. A login from before the number was
    kept counts as none: the resident logs in again, so that what they report is linked to them."""
    value = request.session.get(SESSION_KEY)
    return value if isinstance(value, dict) and value.get("index") and value.get("number") else None


def number(request) -> str:  # type: ignore[no-untyped-def]
    """The verified number of the resident logged in on this session, or "" (not logged in, or under field keys no
    longer configured)."""
    login = current(request)
    if not login:
        return ""
    try:
        found = crypto.decrypt(login["number"])
    except crypto.DecryptionFailed:
        return ""
    return found if crypto.blind_index(found) == login["index"] else ""
