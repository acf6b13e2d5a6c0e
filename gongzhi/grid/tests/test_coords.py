"""WGS-84 / GCJ-02 / BD-09 conversion against reference pairs published by other projects, plus properties.

Reference vectors are (lat, lon) pairs taken from other libraries' test suites; each cites its source. Forward
transforms (WGS-84 → GCJ-02 → BD-09) are one published algorithm, so we match those to ~1e-9°. For inverses, some
sources use closed-form shortcuts that are off by centimetres (BD-09 → GCJ-02) to metres (GCJ-02 → WGS-84); ours are
exact inverses, so against those we only require agreement within the shortcut's own error, and check exactness
separately.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.grid import coords
from gongzhi.grid.geo import haversine_m

FORWARD_TOLERANCE = 1e-9  # degrees, ~0.1 mm
EXACT_INVERSE = 1e-9  # the brief asks for < 1e-7; we hold a hundred times tighter

# WGS-84 -> GCJ-02, (wgs_lat, wgs_lon, gcj_lat, gcj_lon)
WGS_TO_GCJ = [
    # googollee/eviltransform python/test.py (same vectors in go/transform_test.go): Shanghai, Shenzhen, Beijing
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    # wandergis/coordtransform test/app.js: wgs84togcj02(116.404, 39.915) (arguments and result are lon, lat)
    (39.915, 116.404, 39.91640428150164, 116.41024449916938),
    # Glatzel/pyxis crates/pyxis/src/crypto.rs: WGS84_* -> GCJ02_* constants (Jiaxing)
    (30.6107779, 121.0917077, 30.608604368560773, 121.09626927850977),
]

# GCJ-02 -> BD-09, (gcj_lat, gcj_lon, bd_lat, bd_lon)
GCJ_TO_BD = [
    # wandergis/coordtransform test/app.js: gcj02tobd09(116.404, 39.915)
    (39.915, 116.404, 39.92133699351021, 116.41036949371029),
    # Glatzel/pyxis crates/pyxis/src/crypto.rs: GCJ02_* -> BD09_*
    (30.608604368560773, 121.09626927850977, 30.61484575976839, 121.10271724622564),
]

# WGS-84 -> BD-09, (wgs_lat, wgs_lon, bd_lat, bd_lon)
WGS_TO_BD = [
    # wyxloading/coordtransform-rs tests/tests.rs: wgs84_to_bd09(116.404, 39.915)
    (39.915, 116.404, 39.922699552216216, 116.41662724378733),
    # Glatzel/pyxis crates/pyxis/src/crypto.rs: WGS84_* -> BD09_*
    (30.6107779, 121.0917077, 30.61484575976839, 121.10271724622564),
]

# Inverses computed by sources with closed-form shortcuts, (from_lat, from_lon, to_lat, to_lon, their error bound in °)
SHORTCUT_INVERSES = [
    # wandergis/coordtransform test/app.js: bd09togcj02(116.404, 39.915), the closed-form BD-09 inverse
    (coords.BD09, coords.GCJ02, 39.915, 116.404, 39.90865673957631, 116.39762729119315, 2e-6),
    # wandergis/coordtransform test/app.js: gcj02towgs84(116.404, 39.915), a one-step GCJ-02 shortcut
    (coords.GCJ02, coords.WGS84, 39.915, 116.404, 39.91359571849836, 116.39775550083061, 2e-5),
    # wyxloading/coordtransform-rs tests/tests.rs: bd09_to_wgs84(116.404, 39.915), both shortcuts chained
    (coords.BD09, coords.WGS84, 39.915, 116.404, 39.907253214522164, 116.3913836995125, 2e-5),
]

INVERSE = {
    (coords.BD09, coords.GCJ02): coords.bd09_to_gcj02,
    (coords.GCJ02, coords.WGS84): coords.gcj02_to_wgs84,
    (coords.BD09, coords.WGS84): coords.bd09_to_wgs84,
}
FORWARD = {
    (coords.BD09, coords.GCJ02): coords.gcj02_to_bd09,
    (coords.GCJ02, coords.WGS84): coords.wgs84_to_gcj02,
    (coords.BD09, coords.WGS84): coords.wgs84_to_bd09,
}


def assert_close(actual: tuple[float, float], expected: tuple[float, float], tolerance: float) -> None:
    assert abs(actual[0] - expected[0]) < tolerance, (actual, expected)
    assert abs(actual[1] - expected[1]) < tolerance, (actual, expected)


@pytest.mark.parametrize(("w_lat", "w_lon", "g_lat", "g_lon"), WGS_TO_GCJ)
def test_wgs84_to_gcj02_matches_published_vectors(w_lat, w_lon, g_lat, g_lon):
    assert_close(coords.wgs84_to_gcj02(w_lat, w_lon), (g_lat, g_lon), FORWARD_TOLERANCE)


@pytest.mark.parametrize(("w_lat", "w_lon", "g_lat", "g_lon"), WGS_TO_GCJ)
def test_gcj02_to_wgs84_inverts_published_vectors_exactly(w_lat, w_lon, g_lat, g_lon):
    # eviltransform's own exact inverse only promises 0.5 m; ours returns the original WGS-84 point.
    assert_close(coords.gcj02_to_wgs84(g_lat, g_lon), (w_lat, w_lon), EXACT_INVERSE)
    assert_close(coords.to_wgs84(g_lat, g_lon, coords.GCJ02), (w_lat, w_lon), EXACT_INVERSE)


@pytest.mark.parametrize(("g_lat", "g_lon", "b_lat", "b_lon"), GCJ_TO_BD)
def test_gcj02_to_bd09_matches_published_vectors(g_lat, g_lon, b_lat, b_lon):
    assert_close(coords.gcj02_to_bd09(g_lat, g_lon), (b_lat, b_lon), FORWARD_TOLERANCE)
    assert_close(coords.bd09_to_gcj02(b_lat, b_lon), (g_lat, g_lon), EXACT_INVERSE)


@pytest.mark.parametrize(("w_lat", "w_lon", "b_lat", "b_lon"), WGS_TO_BD)
def test_wgs84_to_bd09_matches_published_vectors(w_lat, w_lon, b_lat, b_lon):
    assert_close(coords.wgs84_to_bd09(w_lat, w_lon), (b_lat, b_lon), FORWARD_TOLERANCE)
    assert_close(coords.bd09_to_wgs84(b_lat, b_lon), (w_lat, w_lon), EXACT_INVERSE)
    assert_close(coords.to_wgs84(b_lat, b_lon, coords.BD09), (w_lat, w_lon), EXACT_INVERSE)


@pytest.mark.parametrize(("source", "target", "lat", "lon", "ref_lat", "ref_lon", "bound"), SHORTCUT_INVERSES)
def test_inverses_agree_with_published_shortcuts_within_their_error_and_are_exact(
    source, target, lat, lon, ref_lat, ref_lon, bound
):
    result = INVERSE[source, target](lat, lon)
    assert_close(result, (ref_lat, ref_lon), bound)
    # ...and ours is the exact inverse: the forward transform takes it back to the input.
    assert_close(FORWARD[source, target](*result), (lat, lon), EXACT_INVERSE)


# --- properties over mainland China -------------------------------------------------------------------------------

china_lat = st.floats(min_value=18.0, max_value=53.5)
china_lon = st.floats(min_value=73.5, max_value=134.8)


@settings(max_examples=500, deadline=None)
@given(lat=china_lat, lon=china_lon)
def test_gcj02_to_wgs84_inverts_wgs84_to_gcj02(lat, lon):
    g_lat, g_lon = coords.wgs84_to_gcj02(lat, lon)
    assert_close(coords.gcj02_to_wgs84(g_lat, g_lon), (lat, lon), EXACT_INVERSE)
    # The offset is real (tens to hundreds of metres) and bounded: a sign error or a swapped axis would show here.
    assert 10 < haversine_m(lat, lon, g_lat, g_lon) < 1_000


@settings(max_examples=500, deadline=None)
@given(lat=china_lat, lon=china_lon)
def test_bd09_round_trips(lat, lon):
    b_lat, b_lon = coords.wgs84_to_bd09(lat, lon)
    assert_close(coords.bd09_to_wgs84(b_lat, b_lon), (lat, lon), EXACT_INVERSE)
    assert_close(coords.to_wgs84(b_lat, b_lon, coords.BD09), (lat, lon), EXACT_INVERSE)
    g_lat, g_lon = coords.wgs84_to_gcj02(lat, lon)
    assert_close(coords.bd09_to_gcj02(*coords.gcj02_to_bd09(g_lat, g_lon)), (g_lat, g_lon), EXACT_INVERSE)


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(min_value=-90, max_value=90), lon=st.floats(min_value=-180, max_value=180))
def test_wgs84_input_is_returned_unchanged(lat, lon):
    assert coords.to_wgs84(lat, lon) == (lat, lon)
    assert coords.to_wgs84(lat, lon, coords.WGS84) == (lat, lon)


# --- outside China: no offset ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (51.5074, -0.1278),  # London
        (40.7128, -74.0060),  # New York
        (-33.8688, 151.2093),  # Sydney
        (35.6762, 139.6503),  # Tokyo: east of the box
        (0.5, 110.0),  # inside the box's longitudes, but it starts at 0.8293°N
        (0.0, 0.0),
        (90.0, 180.0),
        (-90.0, -180.0),
    ],
)
def test_points_outside_china_are_unchanged(lat, lon):
    for system in coords.SYSTEMS:
        assert coords.to_wgs84(lat, lon, system) == (lat, lon)
    assert coords.wgs84_to_gcj02(lat, lon) == (lat, lon)
    assert coords.gcj02_to_wgs84(lat, lon) == (lat, lon)
    assert coords.wgs84_to_bd09(lat, lon) == (lat, lon)
    assert coords.bd09_to_gcj02(lat, lon) == (lat, lon)
    assert coords.out_of_china(lat, lon)


def test_a_point_in_china_is_offset():
    assert not coords.out_of_china(30.58, 104.06)
    assert coords.to_wgs84(30.58, 104.06, coords.GCJ02) != (30.58, 104.06)


# --- bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "system", "message"),
    [
        (math.nan, 104.0, coords.WGS84, r"latitude must be a finite number, got nan"),
        (30.0, math.nan, coords.GCJ02, r"longitude must be a finite number, got nan"),
        (math.inf, 104.0, coords.BD09, r"latitude must be a finite number, got inf"),
        (91.0, 104.0, coords.WGS84, r"latitude 91\.0 is outside -90\.\.90 \(are lat and lon swapped\?\)"),
        (-90.5, 104.0, coords.GCJ02, r"latitude -90\.5 is outside -90\.\.90"),
        (30.0, 180.5, coords.BD09, r"longitude 180\.5 is outside -180\.\.180"),
        (104.06, 30.58, coords.GCJ02, r"are lat and lon swapped\?"),
        ("30.5", 104.0, coords.WGS84, r"latitude must be a number, got '30\.5'"),
        (30.5, None, coords.WGS84, r"longitude must be a number, got None"),
        (True, 104.0, coords.WGS84, r"latitude must be a number, got True"),
        (30.0, 104.0, "utm", r"unknown coordinate system 'utm'; expected one of wgs84, gcj02, bd09"),
        (30.0, 104.0, "", r"unknown coordinate system ''"),
        (30.0, 104.0, None, r"unknown coordinate system None"),
    ],
)
def test_bad_input_raises_value_error_with_a_clear_message(lat, lon, system, message):
    with pytest.raises(ValueError, match=message):
        coords.to_wgs84(lat, lon, system)


def test_system_names_are_case_and_space_insensitive():
    expected = coords.gcj02_to_wgs84(30.58, 104.06)
    assert coords.to_wgs84(30.58, 104.06, " GCJ02 ") == expected


def test_integers_are_accepted_as_coordinates():
    assert coords.to_wgs84(30, 104, coords.WGS84) == (30.0, 104.0)
    assert coords.to_wgs84(30, 104, coords.GCJ02) == coords.gcj02_to_wgs84(30.0, 104.0)
