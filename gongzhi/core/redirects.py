"""Where to go after a form: the ``next`` address a request names, only if it stays on this site."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` field (POST, else the query) when it is an address on this host — a path, or this host's own
    URL (over HTTPS when the request was) — else ``fallback``. Anything else (another host, ``//host``,
    ``/\\host``, ``javascript:``, control characters) would make the site an open redirect for phishing links."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
