"""Staff login policy: failed-login limits, the demo password, and how long a staff session lasts.

Both login pages (the console's ``/accounts/login/`` and the admin's) go through ``accounts.forms``, which call this.

Limits: failures are counted in fixed windows (``core.throttle``) per client address and per account (the user name
as typed, case-folded; unknown names count too, so a refusal says nothing about whether a name exists). Each attempt
takes a slot of both before the password is checked — so attempts running in parallel cannot slip past the limit —
and a correct password gives them back. Once either limit is reached every login from that client, or to that
account, is refused until its window ends, a correct password included, without checking the password at all.

The trade-off: an account limit means anyone can keep an account from logging in by failing on purpose. So the
account's limit is higher than the client's (``config.check_login_limits``) — one client alone is stopped by its own
limit first and never locks anyone out — and the window is fixed: at its end the account can log in again, whatever
happened in it, so a lock-out lasts at most one window and only while several addresses keep failing. A per-client
limit alone would let a password be guessed slowly from many addresses; an escalating lock (longer after each) would
let an attacker keep a real user out for good.

Demo mode (``GONGZHI_DEMO``): ``gongzhi demo`` gives every user one password. Outside demo mode a login with the
demo password — the configured one or the built-in default — is refused whatever the account, before it is checked,
and ``gongzhi check --deploy`` reports the active accounts that still have it (``accounts.checks``).
"""

from __future__ import annotations

import hmac
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest

from gongzhi import config
from gongzhi.core import throttle, timeutil
from gongzhi.core.errors import DomainError, gettext_noop

log = logging.getLogger(__name__)

CLIENT_SCOPE = "login-client"
ACCOUNT_SCOPE = "login-account"


class LockedOut(DomainError):
    code = "locked_out"
    http_status = 429

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(
            gettext_noop(
                "Too many failed logins for this account or from this address. Logging in is paused for your safety: "
                "try again in %(minutes)d minutes."
            ),
            params={"minutes": max(math.ceil(retry_after / 60), 1)},
        )
        self.retry_after = retry_after


class DemoPasswordRefused(DomainError):
    code = "demo_password"

    def __init__(self) -> None:
        super().__init__(
            gettext_noop(
                "This is the demo password, and this site is not a demo: nobody can log in with it. Ask an "
                "administrator for a password of your own."
            )
        )


@dataclass
class Attempt:
    """The slots one login attempt took; ``succeeded`` gives them back."""

    now: datetime
    slots: list[tuple[str, str, int]] = field(default_factory=list)

    def succeeded(self) -> None:
        for scope, key, seconds in self.slots:
            throttle.release(scope, key, seconds=seconds, now=self.now)
        self.slots = []


def begin(request: HttpRequest | None, username: str) -> Attempt:
    """Take a slot of the client's and of the account's limit, or raise LockedOut taking none."""
    address = throttle.client_address(request) if request is not None else "unknown"
    limits = (
        (CLIENT_SCOPE, throttle.key_for(address), settings.GONGZHI_LOGIN_RATE_LIMIT),
        (
            ACCOUNT_SCOPE,
            throttle.key_for("account:" + username.strip().casefold()),
            settings.GONGZHI_LOGIN_ACCOUNT_RATE_LIMIT,
        ),
    )
    attempt = Attempt(now=timeutil.now())
    for scope, key, (limit, seconds) in limits:
        verdict = throttle.hit(scope, key, limit=limit, seconds=seconds, now=attempt.now)
        if not verdict.allowed:
            attempt.succeeded()  # nothing counted for an attempt that is not made
            log.warning(
                "staff login refused: too many failures (%s), %d s left in the window", scope, verdict.retry_after
            )
            raise LockedOut(retry_after=verdict.retry_after)
        attempt.slots.append((scope, key, seconds))
    return attempt


def demo_passwords() -> set[str]:
    """The configured demo password and the built-in default (a site may have been built before it was changed)."""
    return {settings.GONGZHI_DEMO_PASSWORD, config.SETTINGS["GONGZHI_DEMO_PASSWORD"][0]} - {""}


def is_demo_password(password: str) -> bool:
    typed = password.encode()
    return any(hmac.compare_digest(typed, demo.encode()) for demo in demo_passwords())


def refuse_demo_password(password: str) -> None:
    if not settings.GONGZHI_DEMO and is_demo_password(password):
        log.warning("staff login refused: the demo password outside demo mode")
        raise DemoPasswordRefused


def start_staff_session(request: HttpRequest) -> None:
    """A staff login lasts GONGZHI_STAFF_SESSION_HOURS from now, however the session was used before."""
    request.session.set_expiry(timeutil.now() + timedelta(hours=settings.GONGZHI_STAFF_SESSION_HOURS))
