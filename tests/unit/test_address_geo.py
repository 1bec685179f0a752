"""Coordinate conversion against published reference pairs, distance and plausibility."""

from __future__ import annotations

import pytest

from services.address.domain import geo

# eviltransform's test suite (wgs lat, wgs lng, gcj lat, gcj lng): Shanghai, Shenzhen, Beijing
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]
# wandergis/coordtransform's example, input (116.404, 39.915) for every function
COORDTRANSFORM_INPUT = (116.404, 39.915)
COORDTRANSFORM_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
COORDTRANSFORM_BD_TO_GCJ_CLOSED_FORM = (116.39762729119315, 39.90865673957631)
# Beijing railway station as published (5 decimals) in GCJ-02 and BD-09
BEIJING_STATION_GCJ = (116.42703, 39.90245)
BEIJING_STATION_BD = (116.43351, 39.90851)


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM_PAIRS)
def test_wgs_to_gcj_matches_reference(wlat, wlng, glat, glng):
    lng, lat = geo.wgs84_to_gcj02(wlng, wlat)
    assert lng == pytest.approx(glng, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM_PAIRS)
def test_gcj_to_wgs_is_exact_inverse(wlat, wlng, glat, glng):
    lng, lat = geo.gcj02_to_wgs84(glng, glat)
    assert geo.haversine_m(lng, lat, wlng, wlat) < 0.001  # sub-millimetre
    assert geo.to_wgs84(glng, glat, "GCJ-02") == (lng, lat)


def test_coordtransform_reference_values():
    assert geo.wgs84_to_gcj02(*COORDTRANSFORM_INPUT) == pytest.approx(COORDTRANSFORM_WGS_TO_GCJ, abs=1e-9)
    assert geo.gcj02_to_bd09(*COORDTRANSFORM_INPUT) == pytest.approx(COORDTRANSFORM_GCJ_TO_BD, abs=1e-9)
    # the usual closed-form BD inverse is approximate; ours is exact and within 5 cm of it
    lng, lat = geo.bd09_to_gcj02(*COORDTRANSFORM_INPUT)
    assert geo.haversine_m(lng, lat, *COORDTRANSFORM_BD_TO_GCJ_CLOSED_FORM) < 0.05
    assert geo.gcj02_to_bd09(lng, lat) == pytest.approx(COORDTRANSFORM_INPUT, abs=1e-11)


def test_published_baidu_point():
    lng, lat = geo.gcj02_to_bd09(*BEIJING_STATION_GCJ)
    assert geo.haversine_m(lng, lat, *BEIJING_STATION_BD) < 1.5  # 5-decimal rounding of the source
    lng, lat = geo.bd09_to_gcj02(*BEIJING_STATION_BD)
    assert geo.haversine_m(lng, lat, *BEIJING_STATION_GCJ) < 1.5


def test_round_trips_over_china_are_sub_millimetre():
    worst = 0.0
    for i in range(25):
        for j in range(15):
            lng, lat = 74.0 + i * 2.5, 18.5 + j * 2.4
            back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lng, lat))
            worst = max(worst, geo.haversine_m(lng, lat, *back))
            back = geo.bd09_to_wgs84(*geo.wgs84_to_bd09(lng, lat))
            worst = max(worst, geo.haversine_m(lng, lat, *back))
    assert worst < 1e-3


def test_outside_china_is_unchanged_and_geojson_is_lng_lat():
    assert geo.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert geo.gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)
    point = geo.geojson_point(103.3649, 23.3962)
    assert point == {"type": "Point", "coordinates": [103.3649, 23.3962]}
    converted = geo.geojson_point(103.3649, 23.3962, datum="gcj02")["coordinates"]
    assert 100 < geo.haversine_m(103.3649, 23.3962, *converted) < 1000  # GCJ offsets are a few hundred metres


@pytest.mark.parametrize(
    ("lng", "lat", "match"),
    [(181.0, 23.0, "longitude"), (103.0, 91.0, "latitude"), (float("nan"), 1.0, "finite")],
)
def test_bad_coordinates_are_rejected(lng, lat, match):
    with pytest.raises(ValueError, match=match):
        geo.to_wgs84(lng, lat)


def test_unknown_datum_is_rejected():
    with pytest.raises(ValueError, match="unsupported datum"):
        geo.to_wgs84(103.0, 23.0, "utm")


def test_haversine():
    assert geo.haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-4)
    assert geo.haversine_m(103.3649, 23.3962, 103.3649, 23.3962) == 0.0
    # Beijing (Tiananmen) to Mengzi: about 2,200 km
    assert 2_150_000 < geo.haversine_m(116.3975, 39.9087, 103.3649, 23.3962) < 2_250_000


def test_plausibly_within_county_township_and_retired_code():
    centre = (103.3649, 23.3962)  # Mengzi centre
    assert geo.plausibly_within("532503", *centre).ok
    assert geo.plausibly_within("532503001", *centre).checked_code == "532503"
    retired = geo.plausibly_within("532522", *centre)  # 蒙自县: checked against its successor 蒙自市
    assert retired.ok and retired.checked_code == "532503"
    assert geo.plausibly_within("532101", *centre).checked_code == "53"  # retired, no successor: province
    far = geo.plausibly_within("532503", 116.3975, 39.9087)
    assert not far.ok and far.distance_to_reference_m > 2_000_000
    assert "outside" in far.message_en and "范围之外" in far.message_zh
    assert not geo.plausibly_within("532503", 0.0, 0.0).ok
    assert not geo.plausibly_within("532503", 103.3649, 32.3962).ok  # a digit typo: 900 km north


def test_in_china():
    assert geo.in_china(103.3649, 23.3962)
    assert geo.in_china(87.6, 43.8)  # Ürümqi
    assert not geo.in_china(0.0, 0.0)
    assert not geo.in_china(139.69, 35.69)  # Tokyo
