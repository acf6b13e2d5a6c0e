from __future__ import annotations

from gongzhi.api import tokens
from gongzhi.api.models import Partner


def partner(jurisdiction, *, code: str = "h12345", **fields) -> tuple[Partner, str]:
    fields.setdefault("name", "12345 热线")
    row = Partner.objects.create(jurisdiction=jurisdiction, code=code, **fields)
    _token, raw = tokens.create_token(name="hotline", partner=row)
    return row, raw


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
