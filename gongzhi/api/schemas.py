"""Request and response shapes of the exchange API (OpenAPI 3.1 through django-ninja)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from gongzhi.cases.choices import Urgency


class ErrorOut(Schema):
    detail: str
    code: str = ""
    errors: list[dict[str, Any]] = []


class MeOut(Schema):
    kind: Literal["partner", "user"]
    name: str
    jurisdiction: str | None = None


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    attributes: list[dict[str, Any]]


class CaseIn(Schema):
    external_id: str = Field(..., min_length=1, max_length=64, description="The partner's own id (unique per partner)")
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    category_code: str = Field("", max_length=64, description="Open311 service_code; empty: triaged by staff")
    urgency: Literal["normal", "urgent", "emergency"] | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    coord_system: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    address: str = Field("", max_length=200)
    reporter_name: str = Field("", max_length=64)
    reporter_phone: str = Field("", max_length=32, description="Mainland mobile number (stored encrypted)")
    attributes: dict[str, str | float | list[str]] = Field(default_factory=dict, max_length=50)


class CaseOut(Schema):
    tracking_code: str
    external_id: str
    channel: str
    status: str
    open311_status: Literal["open", "closed"]
    category_code: str | None
    title: str
    description: str
    address: str
    lat: float | None
    lon: float | None
    agency_responsible: str
    submitted_at: datetime
    updated_at: datetime
    resolve_due: datetime | None
    resolved_at: datetime | None
    result: str


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: int | None = Field(None, description="Pass as `cursor` to get the next page")


class EventOut(Schema):
    seq: int
    kind: str
    from_status: str
    to_status: str
    note: str
    at: datetime


URGENCIES = tuple(Urgency.values)


class ResolveIn(Schema):
    result: str = Field(..., min_length=1, max_length=5000, description="What was done (shown to the resident)")


class ReportInIn(Schema):
    report: str = Field(..., min_length=1, max_length=2000, description="What the summoned department did")
