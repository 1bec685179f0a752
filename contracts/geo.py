"""Coordinates on the wire: WGS-84 GeoJSON points, and the systems agencies may send them in."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class CoordinateSystem(StrEnum):
    """坐标系: what the caller's numbers mean. Stored coordinates are always WGS-84."""

    wgs84 = "wgs84"  # GPS, CGCS2000 differs by under a metre
    gcj02 = "gcj02"  # 国测局坐标 (Amap, Tencent)
    bd09 = "bd09"  # 百度坐标


class GeoPoint(BaseModel):
    """GeoJSON Point in WGS-84: coordinates are [lng, lat]."""

    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[longitude, latitude] in WGS-84")

    @property
    def lng(self) -> float:
        return self.coordinates[0]

    @property
    def lat(self) -> float:
        return self.coordinates[1]


class CoordinateInput(BaseModel):
    """A position as the caller has it; converted to WGS-84 before it is stored."""

    lng: float = Field(ge=-180, le=180, description="经度", examples=[103.3649])
    lat: float = Field(ge=-90, le=90, description="纬度", examples=[23.3962])
    system: CoordinateSystem = Field(default=CoordinateSystem.wgs84, description="坐标系 of lng/lat")
