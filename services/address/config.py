"""Address-registry configuration: what differs between cities is set here, not coded."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Who may approve at each level (审核级别): a higher office may always decide for a lower one.
APPROVERS = {
    "police_station": ("police", "supervisor", "admin"),
    "district": ("supervisor", "admin"),
    "city": ("admin",),
}


class AddressSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YBSS_ADDRESS_", extra="ignore")

    approval_level: str = Field(default="none", pattern="^(none|police_station|district|city)$",
                                description="审核级别 a new door plate needs: none, police_station, district, city")
    default_odd_side: str | None = Field(default=None, pattern="^(left|right)$",
                                         description="city-wide 单双号 rule for roads without their own")
    default_skip: list[int] = Field(default_factory=list, description="numbers never issued city-wide, e.g. [4,13,14]")
    room_seq_digits: int | None = Field(default=None, description="room numbering: 2 = floor×100+seq, 3 = ×1000")
    plausibility_margin_m: float = Field(default=2000.0, ge=0, description="tolerance outside the county's extent")


@lru_cache
def address_settings() -> AddressSettings:
    return AddressSettings()
