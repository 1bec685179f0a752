"""Unit-registry configuration: inspection cycles differ between cities and trades; set here, not coded."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.unit.domain.supervision import inspection_cycles


class UnitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YBSS_UNIT_", extra="ignore")

    inspection_cycle_days: dict[str, int] = Field(
        default_factory=dict, description='检查周期 per special trade, overriding the shipped defaults, e.g. '
        '{"hotel": 15, "pawn": 30} (JSON in YBSS_UNIT_INSPECTION_CYCLE_DAYS)')

    @property
    def cycles(self) -> dict[str, int]:
        return inspection_cycles(self.inspection_cycle_days)


@lru_cache
def unit_settings() -> UnitSettings:
    return UnitSettings()
