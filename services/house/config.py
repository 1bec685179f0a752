"""House-registry configuration: what differs between cities is set here, not coded."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.house.domain.supervision import GroupRentalRule


class HouseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YBSS_HOUSE_", extra="ignore")

    group_rental_max_tenants_per_room: float = Field(default=2, gt=0, description="群租: more tenants per room let")
    group_rental_min_area_per_tenant: float = Field(default=5.0, ge=0, description="群租: less area let per tenant, m²")

    @property
    def group_rental(self) -> GroupRentalRule:
        return GroupRentalRule(self.group_rental_max_tenants_per_room, self.group_rental_min_area_per_tenant)


@lru_cache
def house_settings() -> HouseSettings:
    return HouseSettings()
