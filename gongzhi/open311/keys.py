"""Open311 API keys: created with a random secret shown once; looked up by the SHA-256 of what a client sends.

A key is 32 random bytes, so a plain SHA-256 is enough (no password stretching: nothing to guess)."""

from __future__ import annotations

import hashlib
import hmac

from django.db import transaction

from gongzhi.core import crypto
from gongzhi.core.errors import DomainError
from gongzhi.grid.models import Jurisdiction
from gongzhi.open311 import cache
from gongzhi.open311.models import Open311Key

KEY_PREFIX = "o311_"
MAX_KEY_LENGTH = 200


def digest(raw: str) -> str:
    return crypto.secret_digest(raw)


def new_secret() -> str:
    return crypto.new_secret(KEY_PREFIX)


@transaction.atomic
def create_key(
    *, name: str, jurisdiction: Jurisdiction | None = None, raw: str | None = None
) -> tuple[Open311Key, str]:
    """A new active key; returns (key row, the key itself) — the key is not stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError("name the client that uses the key")
    raw = raw or new_secret()
    key = Open311Key.objects.create(
        name=name[:100], jurisdiction=jurisdiction, prefix=raw[:12], key_hash=digest(raw), active=True
    )
    return key, raw


def key_for(raw: str) -> Open311Key | None:
    """The active key a client sent, or None. (Valid keys are cached per process; see ``cache``.)"""
    raw = (raw or "").strip()
    if not raw or len(raw) > MAX_KEY_LENGTH:
        return None
    hashed = digest(raw)
    found: Open311Key | None = cache.get(
        ("key", hashed), lambda: Open311Key.objects.filter(key_hash=hashed, active=True).first(), keep_none=False
    )
    return found


DEMO_NAME = "demo"


def demo_key(*, jurisdiction: Jurisdiction) -> str:
    """The demo site's key: derived from the site's secret key, so ``gongzhi demo`` can print it on every run
    (only its hash is stored) and no two installations share it. Created when missing."""
    from django.conf import settings

    mac = hmac.new(settings.SECRET_KEY.encode(), b"gongzhi-open311-demo-key", hashlib.sha256).hexdigest()
    raw = f"{KEY_PREFIX}demo_{mac[:32]}"
    if not Open311Key.objects.filter(key_hash=digest(raw)).exists():
        create_key(name=DEMO_NAME, jurisdiction=jurisdiction, raw=raw)
    return raw
