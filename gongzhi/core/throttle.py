"""Rate limits, counted in the database (shared by every web worker; no Redis needed).

Fixed windows: ``hit`` counts one event of ``scope`` for ``key`` in the current window and says whether it stays
within the limit; ``peek`` asks without counting; ``release`` gives back a slot ``hit`` took (an attempt that turned
out not to count, such as a correct password). Keys are HMACs (the blind-index key), so the table holds no addresses,
user names or phone numbers. A window ends at a fixed time, whatever happens in it: a limit can hold something back
for at most one window, never for longer.

It lives in core because every interface needs it: the staff login (accounts), the resident pages (reports, login
codes, tracking codes) and the machine interfaces' look-ups.

``lookup_verdict`` / ``count_lookup_miss`` guard every lookup of a case by something a guesser could try — a
tracking code on the resident pages, an Open311 request id or token, a case in the exchange API: misses are counted
per client *and* per network address, and past either limit every lookup is refused, so a lucky guess tells nothing.
A client is a browser (the portal's cookie), an API key or token, or else the address itself. Many residents share
one address (carriers' NAT), so the address's limit is much higher than a client's: one person trying codes is
stopped early without stopping the others, and a guesser who throws its cookie away every time meets the address
limit. The portal never refuses the reporter's own case (portal/README.md).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from gongzhi.core import crypto, timeutil
from gongzhi.core.models import Throttle

# Rows older than this are dropped now and then (the longest window we use is far shorter).
KEEP = timedelta(days=2)
LOOKUP_CLIENT = "lookup_miss"
LOOKUP_ADDRESS = "lookup_miss_addr"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's, or the one GONGZHI_PROXY_HOPS trusted proxies put in X-Forwarded-For."""
    hops = settings.GONGZHI_PROXY_HOPS
    if hops:
        chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def network(address: str) -> str:
    """The address a limit counts against: an IPv4 address as it is, an IPv6 address by its /64 (one subscriber's
    network; an attacker has a whole /64 to choose addresses from)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def key_for(value: str) -> str:
    return crypto.blind_index("throttle:" + value)


def _window(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def hit(scope: str, key: str, *, limit: int, seconds: int, now: datetime | None = None) -> Verdict:
    """Count one event; refuse it (and count nothing) once ``limit`` events fell in the current window."""
    now = now or timeutil.now()
    start = _window(now, seconds)
    retry_after = max(int((start + timedelta(seconds=seconds) - now).total_seconds()), 1)
    with transaction.atomic():
        # One conditional UPDATE: of two requests racing for the last slot exactly one wins.
        updated = Throttle.objects.filter(scope=scope, key=key, window_start=start, count__lt=limit).update(
            count=F("count") + 1
        )
        if updated:
            return Verdict(True, 0)
        if Throttle.objects.filter(scope=scope, key=key, window_start=start).exists():
            return Verdict(False, retry_after)
        try:
            with transaction.atomic():
                Throttle.objects.create(scope=scope, key=key, window_start=start, count=1)
        except IntegrityError:  # another request created the window a moment ago: count against it
            return hit(scope, key, limit=limit, seconds=seconds, now=now)
    if now.minute == 0:  # now and then, not on every request
        Throttle.objects.filter(window_start__lt=now - KEEP).delete()
    return Verdict(True, 0)


def peek(scope: str, key: str, *, limit: int, seconds: int, now: datetime | None = None) -> Verdict:
    """Whether one more event would be allowed, without counting it."""
    now = now or timeutil.now()
    start = _window(now, seconds)
    row = Throttle.objects.filter(scope=scope, key=key, window_start=start).values_list("count", flat=True).first()
    if row is not None and row >= limit:
        return Verdict(False, max(int((start + timedelta(seconds=seconds) - now).total_seconds()), 1))
    return Verdict(True, 0)


def release(scope: str, key: str, *, seconds: int, now: datetime) -> None:
    """Give back one event ``hit`` counted at ``now`` (the same ``now``, so the same window)."""
    Throttle.objects.filter(scope=scope, key=key, window_start=_window(now, seconds), count__gt=0).update(
        count=F("count") - 1
    )


# ------------------------------------------------------------------------------------------- lookups by id or code


def _lookup_keys(*, client: str | None, address: str) -> list[tuple[str, str, tuple[int, int]]]:
    keys = [(LOOKUP_ADDRESS, key_for("addr:" + network(address)), settings.GONGZHI_TRACK_ADDRESS_RATE_LIMIT)]
    keys.append((LOOKUP_CLIENT, key_for(client or "addr:" + network(address)), settings.GONGZHI_TRACK_RATE_LIMIT))
    return keys


def lookup_verdict(*, client: str | None, address: str, now: datetime | None = None) -> Verdict:
    """Whether a lookup by id or code may be answered: refused once the client or its address tried too many
    unknown ones in the window (``GONGZHI_TRACK_RATE_LIMIT``, ``GONGZHI_TRACK_ADDRESS_RATE_LIMIT``). ``client`` is
    what identifies the asker beyond its address (a browser's cookie, an API key); None counts the address as the
    client too."""
    longest = Verdict(True, 0)
    for scope, key, (limit, seconds) in _lookup_keys(client=client, address=address):
        verdict = peek(scope, key, limit=limit, seconds=seconds, now=now)
        if not verdict.allowed and verdict.retry_after > longest.retry_after:
            longest = verdict
    return longest


def count_lookup_miss(*, client: str | None, address: str, now: datetime | None = None) -> None:
    """Count a lookup of something that does not exist (or is not the asker's to see), for the client and its
    address."""
    for scope, key, (limit, seconds) in _lookup_keys(client=client, address=address):
        hit(scope, key, limit=limit, seconds=seconds, now=now)
