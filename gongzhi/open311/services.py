"""Filing a service request through Open311: checks the GeoReport v2 fields, then calls the case engine's
``submit`` (channel ``api``) — one case, one event, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from gongzhi.cases import services as cases
from gongzhi.cases.choices import Channel
from gongzhi.cases.models import Case
from gongzhi.core.errors import NotFound, PermissionDenied
from gongzhi.grid.models import Building, Jurisdiction
from gongzhi.open311 import cache, selectors, wire
from gongzhi.open311.models import Open311Key

TITLE_LENGTH = 60
MAX_NAME = 64
MAX_URL = 500
MAX_FIELD = 200


class Fields:
    """The request's fields as (name, value) pairs, the way a form sends them (names may repeat)."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.pairs = list(pairs)
        self._first: dict[str, str] = {}
        for name, value in self.pairs:
            self._first.setdefault(name, value)

    def get(self, name: str) -> str:
        return self._first.get(name, "").strip()


def file_request(*, key: Open311Key | None, jurisdiction: Jurisdiction, fields: Fields) -> Case:
    if key is None:
        raise PermissionDenied("api_key is missing or not valid")
    if key.jurisdiction_id is not None and key.jurisdiction_id != jurisdiction.pk:
        raise PermissionDenied("this api_key may not file requests in this jurisdiction")
    problems: list[str] = []
    code = fields.get("service_code")
    category = None
    if not code:
        problems.append("service_code is required")
    else:
        try:
            category = selectors.category(jurisdiction, code)
        except NotFound as exc:
            problems.append(str(exc))  # English, like every Open311 answer
    lat = lon = None
    lat_text, lon_text = fields.get("lat"), fields.get("long")
    if lat_text or lon_text:
        if not (lat_text and lon_text):
            problems.append("give both lat and long")
        else:
            try:
                lat = wire.parse_coordinate(lat_text, name="lat", limit=90)
                lon = wire.parse_coordinate(lon_text, name="long", limit=180)
            except ValueError as exc:
                problems.append(str(exc))
    address = fields.get("address_string")
    if len(address) > MAX_FIELD:
        problems.append(f"address_string: at most {MAX_FIELD} characters")
    building = None
    address_id = fields.get("address_id")
    if address_id:
        building = cache.get(
            ("building", jurisdiction.pk, address_id[:32]),
            lambda: Building.objects.filter(jurisdiction=jurisdiction, public_token=address_id[:32]).first(),
            keep_none=False,
        )
        if building is None:
            problems.append(f"address_id {address_id[:32]!r} not found")
    if not (lat_text or lon_text or address or address_id):
        problems.append("a location is required: lat and long, address_string or address_id")
    description = fields.get("description")
    if len(description) > wire.MAX_DESCRIPTION:
        problems.append(f"description: at most {wire.MAX_DESCRIPTION} characters, got {len(description)}")
    media_url = fields.get("media_url")
    if media_url and (len(media_url) > MAX_URL or urlsplit(media_url).scheme not in ("http", "https")):
        problems.append(f"media_url: an http(s) address of at most {MAX_URL} characters")
    for name in ("email", "first_name", "last_name", "device_id", "account_id"):
        if len(fields.get(name)) > MAX_FIELD:
            problems.append(f"{name}: at most {MAX_FIELD} characters")
    attributes: dict[str, Any] = {}
    try:
        attributes = dict(wire.parse_attributes(fields.pairs, category.attributes if category else []))
    except wire.WireError as exc:
        problems.extend(exc.problems)
    if problems:
        raise wire.WireError(problems)
    assert category is not None
    internal: dict[str, Any] = {"_open311_client": key.name, selectors.KEY_ATTRIBUTE: key.pk}
    if media_url:
        internal["_media_url"] = media_url
    name = f"{fields.get('last_name')}{fields.get('first_name')}".strip()
    title = (description.splitlines()[0] if description else "")[:TITLE_LENGTH].strip() or category.name
    return cases.submit(
        jurisdiction=jurisdiction,
        channel=Channel.API,
        title=title,
        description=description,
        category=category,
        reporter_name=name[:MAX_NAME],
        reporter_phone=fields.get("phone"),
        building=building,
        lat=lat,
        lon=lon,
        address=address,
        attributes=attributes,
        internal_attributes=internal,
    )
