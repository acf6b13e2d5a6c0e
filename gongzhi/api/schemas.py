"""Request and response shapes of the exchange API (OpenAPI 3.1 through django-ninja)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from gongzhi.cases import attribute_keys
from gongzhi.cases.choices import Urgency


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters (\\u0000)")
    return value


# Every text a client sends: PostgreSQL cannot store (or even compare with) a NUL character, so it is refused here
# with a 422 instead of failing in the database.
Text = Annotated[str, AfterValidator(_no_nul)]


def _no_reserved_keys(value: dict[str, Any]) -> dict[str, Any]:
    taken = attribute_keys.reserved(value)
    if taken:
        raise ValueError(f"attribute {taken[0][:64]!r} is reserved for gongzhi's own use (keys starting with _)")
    return value


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
    external_id: Text = Field(..., min_length=1, max_length=64, description="The partner's own id (unique per partner)")
    title: Text = Field(..., min_length=1, max_length=200)
    description: Text = Field("", max_length=4000)
    category_code: Text = Field("", max_length=64, description="Open311 service_code; empty: triaged by staff")
    urgency: Literal["normal", "urgent", "emergency"] | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    coord_system: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    address: Text = Field("", max_length=200)
    reporter_name: Text = Field("", max_length=64)
    reporter_phone: Text = Field("", max_length=32, description="Mainland mobile number (stored encrypted)")
    attributes: Annotated[dict[Text, Text | float | list[Text]], AfterValidator(_no_reserved_keys)] = Field(
        default_factory=dict,
        max_length=50,
        description="Answers to the category's attributes by code; keys starting with _ are reserved (422)",
    )


class CaseOut(Schema):
    tracking_code: str
    public_id: str = Field(description="What public pages and Open311 name the case by (opens nothing private)")
    published: bool = Field(description="Shown on the public board (公示)")
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
    result: Text = Field(..., min_length=1, max_length=5000, description="What was done (shown to the resident)")


class ReportInIn(Schema):
    report: Text = Field(..., min_length=1, max_length=2000, description="What the summoned department did")
