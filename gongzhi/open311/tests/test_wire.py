"""The pure parsers and the XML writer, with Hypothesis: any input gives a result or a WireError, never a crash."""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.open311 import wire
from gongzhi.open311.tests.factories import NOISE_ATTRIBUTES

KEYS = st.one_of(
    st.sampled_from(["attribute[periods][]", "attribute[scope]", "attribute[floors]", "attribute[since]",
                     "attribute[unit]", "attribute[detail]", "attribute[x]", "attribute[", "lat",
                     "attribute[scope][]"]),
    st.text(max_size=30),
)  # fmt: skip


@given(st.lists(st.tuples(KEYS, st.text(max_size=60)), max_size=12))
def test_parse_attributes_returns_or_raises_wire_error(pairs):
    problems: list[str] = []
    try:
        result = wire.parse_attributes(pairs, NOISE_ATTRIBUTES)
    except wire.WireError as exc:
        problems = exc.problems
    if problems:
        assert all(isinstance(p, str) and p for p in problems)
        return
    assert set(result) <= {"periods", "scope", "floors", "since", "unit", "detail"}
    assert set(result["periods"]) <= {"night", "noon", "evening"}
    assert isinstance(result.get("floors", 0.0), float)


@given(st.lists(st.sampled_from(["night", "noon", "evening"]), min_size=1, max_size=5), st.integers(-50, 300))
def test_valid_attributes_round_trip(periods, floors):
    pairs = [("attribute[periods][]", p) for p in periods] + [("attribute[floors]", str(floors))]
    result = wire.parse_attributes(pairs, NOISE_ATTRIBUTES)
    assert result == {"periods": list(dict.fromkeys(periods)), "floors": float(floors)}


def test_required_and_list_rules():
    with pytest.raises(wire.WireError) as caught:
        wire.parse_attributes([("attribute[periods]", "night"), ("attribute[periods][]", "noon")], NOISE_ATTRIBUTES)
    assert caught.value.problems == ["attribute periods: sent both as one value and as a list"]
    with pytest.raises(wire.WireError) as caught:
        wire.parse_attributes([("attribute[floors]", "nan")], NOISE_ATTRIBUTES)
    assert caught.value.problems == ["attribute floors: not a finite number", "attribute periods: required"]


@given(st.text(max_size=50))
def test_coordinates_and_dates_never_crash(text):
    for parse in (
        lambda v: wire.parse_coordinate(v, name="lat", limit=90),
        wire.parse_datetime,
        lambda v: wire.parse_positive(v, name="page", maximum=10),
    ):
        with contextlib.suppress(ValueError):
            parse(text)


@given(st.recursive(st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.from_regex(r"[a-z_]{1,10}", fullmatch=True), inner, max_size=3),
                    max_leaves=10))  # fmt: skip
def test_to_xml_always_writes_well_formed_xml(data):
    root = ET.fromstring(wire.to_xml("service_requests", data))  # noqa: S314
    assert root.tag == "service_requests"


def test_to_xml_item_names():
    root = ET.fromstring(wire.to_xml("errors", [{"code": 400, "description": "a\x00b"}]))  # noqa: S314
    assert [c.tag for c in root] == ["error"] and root.findtext("error/description") == "ab"
