"""Bearer tokens for partners and staff users: random, shown once, looked up by SHA-256."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from gongzhi.api.models import ApiToken, Partner
from gongzhi.core import crypto
from gongzhi.core.errors import DomainError

TOKEN_PREFIX = "gzt_"  # noqa: S105 - a marker, not a secret
MAX_TOKEN_LENGTH = 200


def digest(raw: str) -> str:
    return crypto.secret_digest(raw)


def new_secret() -> str:
    return crypto.new_secret(TOKEN_PREFIX)


@transaction.atomic
def create_token(
    *, name: str, partner: Partner | None = None, user: Any = None, raw: str | None = None
) -> tuple[ApiToken, str]:
    if (partner is None) == (user is None):
        raise DomainError("a token belongs to exactly one partner or one user")
    raw = raw or new_secret()
    token = ApiToken.objects.create(
        name=(name or "").strip()[:100] or "token", partner=partner, user=user, prefix=raw[:12], key_hash=digest(raw)
    )
    return token, raw


def token_for(raw: str) -> ApiToken | None:
    """The active token (of an active partner or an active user), or None."""
    raw = (raw or "").strip()
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = ApiToken.objects.select_related("partner", "user").filter(key_hash=digest(raw), active=True).first()
    if token is None:
        return None
    if token.partner is not None and not token.partner.active:
        return None
    if token.user is not None and not token.user.is_active:
        return None
    return token
