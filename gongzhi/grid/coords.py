"""Chinese map coordinate systems → WGS-84. Pure, strictly typed.

- WGS-84: GPS, what we store.
- GCJ-02 ("Mars coordinates"): the legally required offset used by Amap (高德), Tencent and Google China maps.
- BD-09: Baidu's further offset of GCJ-02.

The forward transforms (WGS-84 → GCJ-02 → BD-09) are the published algorithms every other library uses, so we agree
with them to the last digit. Neither inverse has a closed form: the usual BD-09 → GCJ-02 formula is off by up to
~0.2 m, the usual GCJ-02 → WGS-84 shortcut by metres. We refine both by fixed-point iteration, so each inverse
undoes its forward transform to ~1e-12° (far below a millimetre). Outside the mainland China box no offset is
applied, as the providers do.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Final

WGS84: Final = "wgs84"
GCJ02: Final = "gcj02"
BD09: Final = "bd09"
SYSTEMS: Final = (WGS84, GCJ02, BD09)

_A: Final = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm uses
_EE: Final = 0.00669342162296594323  # its eccentricity squared
_X_PI: Final = math.pi * 3000.0 / 180.0
_TOLERANCE: Final = 1e-12  # degrees; the iterations converge geometrically, so this costs two or three extra steps
_MAX_STEPS: Final = 30


def out_of_china(lat: float, lon: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj_delta(lat: float, lon: float) -> tuple[float, float]:
    d_lat = _transform_lat(lon - 105.0, lat - 35.0)
    d_lon = _transform_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _gcj_delta(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Exact inverse of ``wgs84_to_gcj02``, by fixed-point iteration (a handful of steps)."""
    if out_of_china(lat, lon):
        return lat, lon
    return _invert(wgs84_to_gcj02, lat, lon)


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def _bd09_to_gcj02_approx(lat: float, lon: float) -> tuple[float, float]:
    # The widely published closed form: a good first guess, but not quite the inverse of gcj02_to_bd09.
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Exact inverse of ``gcj02_to_bd09``: the published closed form, refined by fixed-point iteration."""
    if out_of_china(lat, lon):
        return lat, lon
    return _invert(gcj02_to_bd09, lat, lon, start=_bd09_to_gcj02_approx(lat, lon))


def _invert(
    forward: Callable[[float, float], tuple[float, float]],
    lat: float,
    lon: float,
    *,
    start: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """Solve ``forward(x) == (lat, lon)``; converges because each transform is a small, smooth offset."""
    x_lat, x_lon = start if start is not None else (lat, lon)
    for _ in range(_MAX_STEPS):
        f_lat, f_lon = forward(x_lat, x_lon)
        e_lat, e_lon = f_lat - lat, f_lon - lon
        x_lat, x_lon = x_lat - e_lat, x_lon - e_lon
        if abs(e_lat) < _TOLERANCE and abs(e_lon) < _TOLERANCE:
            break
    return x_lat, x_lon


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def validate(lat: float, lon: float) -> None:
    """Raise ValueError unless (lat, lon) are finite numbers in range; the message names the bad value."""
    lat = _number(lat, "latitude")
    lon = _number(lon, "longitude")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90 (are lat and lon swapped?)")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside -180..180")


def to_wgs84(lat: float, lon: float, system: str = WGS84) -> tuple[float, float]:
    """Convert input coordinates in ``system`` to WGS-84; raises ValueError for bad numbers or an unknown system."""
    key = system.strip().lower() if isinstance(system, str) else system
    if key not in SYSTEMS:
        raise ValueError(f"unknown coordinate system {system!r}; expected one of {', '.join(SYSTEMS)}")
    validate(lat, lon)
    lat, lon = float(lat), float(lon)
    if key == GCJ02:
        return gcj02_to_wgs84(lat, lon)
    if key == BD09:
        return bd09_to_wgs84(lat, lon)
    return lat, lon
