"""Open311 GeoReport v2 on the wire, without Django: parsing a service request's fields and attributes, and writing
answers as XML. Pure (``mypy --strict``), so the parsers are tested with Hypothesis.

GeoReport v2 sends a service request as form fields; attributes come as ``attribute[CODE]=value`` and, for
multi-value lists, ``attribute[CODE][]=v1&attribute[CODE][]=v2``. Every problem found is reported at once, so a
client fixes its request in one round.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from xml.etree import ElementTree as ET

from gongzhi.cases import attribute_keys

MAX_DESCRIPTION: Final = 4000
MAX_STRING: Final = 200
MAX_TEXT: Final = 4000
MAX_VALUES: Final = 50

_ATTRIBUTE_KEY: Final = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")

# XML element names of list items, by the name of the list (GeoReport v2 and the request-updates extension).
ITEM_NAMES: Final[Mapping[str, str]] = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_request_updates": "request_update",
}


class WireError(ValueError):
    """One or more problems with a request; ``problems`` lists them, each safe to show to the client."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


# ------------------------------------------------------------------------------------------------------ attributes


def parse_attributes(
    pairs: Iterable[tuple[str, str]], definitions: Sequence[Mapping[str, Any]]
) -> dict[str, str | float | list[str]]:
    """The ``attribute[...]`` fields of a request, checked against the service definition's attributes.

    Returns ``{code: value}`` (a list for multivaluelist, a float for number); raises ``WireError`` listing every
    problem: unknown codes, a single value sent as a list or the reverse, values outside the list, bad numbers or
    dates, missing required attributes, over-long strings.
    """
    by_code = {
        str(d.get("code")): d
        for d in definitions
        if d.get("variable", True) and not attribute_keys.is_reserved(str(d.get("code")))
    }
    raw: dict[str, list[str]] = {}
    as_list: dict[str, bool] = {}
    problems: list[str] = []
    reserved_seen: set[str] = set()
    for key, value in pairs:
        match = _ATTRIBUTE_KEY.match(key)
        if match is None:
            if key.startswith("attribute"):
                problems.append(f"{key}: not an attribute field (use attribute[CODE] or attribute[CODE][])")
            continue
        code, multi = match.group(1), bool(match.group(2))
        if attribute_keys.is_reserved(code):
            if code not in reserved_seen:
                problems.append(f"attribute {code}: reserved for the server's own use (codes starting with _)")
                reserved_seen.add(code)
            continue
        if as_list.setdefault(code, multi) != multi:
            problems.append(f"attribute {code}: sent both as one value and as a list")
        raw.setdefault(code, []).append(value)
    result: dict[str, str | float | list[str]] = {}
    for code, values in raw.items():
        definition = by_code.get(code)
        if definition is None:
            problems.append(f"attribute {code}: this service has no such attribute")
            continue
        datatype = str(definition.get("datatype", "string"))
        values = [v.strip() for v in values]
        if datatype == "multivaluelist":
            chosen = [v for v in values if v]
            if len(chosen) > MAX_VALUES:
                problems.append(f"attribute {code}: at most {MAX_VALUES} values")
                continue
            allowed = {str(v.get("key")) for v in definition.get("values") or []}
            wrong = [v for v in chosen if v not in allowed]
            if wrong:
                problems.append(f"attribute {code}: {', '.join(wrong[:5])} not among the allowed values")
                continue
            if chosen:
                result[code] = list(dict.fromkeys(chosen))
            continue
        if len(values) > 1:
            problems.append(f"attribute {code}: takes one value ({datatype}), got {len(values)}")
            continue
        value = values[0]
        if not value:
            continue
        try:
            result[code] = _typed(value, datatype, definition)
        except ValueError as exc:
            problems.append(f"attribute {code}: {exc}")
    for code, definition in by_code.items():
        if (
            definition.get("required")
            and code not in result
            and not any(p.startswith(f"attribute {code}:") for p in problems)
        ):
            problems.append(f"attribute {code}: required")
    if problems:
        raise WireError(problems)
    return result


def _typed(value: str, datatype: str, definition: Mapping[str, Any]) -> str | float:
    if datatype == "number":
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError("not a finite number")
        return number
    if datatype == "datetime":
        parse_datetime(value)  # checked; stored as sent
        return value
    if datatype == "singlevaluelist":
        allowed = {str(v.get("key")) for v in definition.get("values") or []}
        if value not in allowed:
            raise ValueError(f"{value[:40]!r} is not among the allowed values")
        return value
    limit = MAX_TEXT if datatype == "text" else MAX_STRING
    if len(value) > limit:
        raise ValueError(f"at most {limit} characters")
    return value


# ----------------------------------------------------------------------------------------------------- scalars


def parse_datetime(value: str) -> datetime:
    """An ISO 8601 date-time (``Z`` or an offset; a plain date means its midnight). Naive values are returned naive:
    the caller decides their zone."""
    text = value.strip()
    if not text or len(text) > 40:
        raise ValueError(f"{value[:40]!r} is not an ISO 8601 date-time")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not an ISO 8601 date-time (e.g. 2024-05-01T08:00:00+08:00)") from None


def parse_coordinate(value: str, *, name: str, limit: float) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise ValueError(f"{name}: {value[:40]!r} is not a number") from None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ValueError(f"{name}: must be between -{limit:g} and {limit:g}")
    return number


def parse_list(value: str, *, limit: int = 100) -> list[str]:
    """A comma-separated filter (``service_code=a,b``), empty items dropped, at most ``limit`` items."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    if len(items) > limit:
        raise ValueError(f"at most {limit} values")
    return items


def parse_positive(value: str, *, name: str, maximum: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError(f"{name}: {value[:20]!r} is not a whole number") from None
    if not 1 <= number <= maximum:
        raise ValueError(f"{name}: must be between 1 and {maximum}")
    return number


# ------------------------------------------------------------------------------------------------------------ XML


def to_xml(root: str, data: Any) -> bytes:
    """GeoReport v2 XML: a list becomes one element per item (``services`` → ``service``), a mapping becomes child
    elements, booleans are ``true``/``false``, None is an empty element."""
    element = ET.Element(root)
    _fill(element, root, data)
    written: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return written


def _fill(element: ET.Element, name: str, data: Any) -> None:
    if isinstance(data, Mapping):
        for key, value in data.items():
            _fill(ET.SubElement(element, str(key)), str(key), value)
    elif isinstance(data, list | tuple):
        item_name = ITEM_NAMES.get(name, "item")
        for item in data:
            _fill(ET.SubElement(element, item_name), item_name, item)
    elif isinstance(data, bool):
        element.text = "true" if data else "false"
    elif data is None:
        element.text = ""
    else:
        element.text = _xml_safe(str(data))


_XML_INVALID: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """Characters XML 1.0 cannot carry (control characters) are dropped rather than producing invalid XML."""
    return _XML_INVALID.sub("", text)
