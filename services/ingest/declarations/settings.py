"""How long police have to verify a declaration (核实期限), configurable per deployment.

Three days for tenants and employees: the notice's own window for registering a migrant (流动人口 3 日内申报), so a
verified declaration reaches the registry no later than the rule asks of the person. One day for a hotel guest:
旅馆业 records are checked the same day, and a key person's hotel stay matters to the watch only while it is fresh.
The deadline is stamped on each declaration when it is made; changing the setting moves no old deadline.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeclarationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YBSS_DECLARATION_", extra="ignore")

    verify_hours: float = Field(default=72.0, gt=0, description="tenant and employee declarations: hours to verify")
    guest_verify_hours: float = Field(default=24.0, gt=0, description="hotel guest check-ins: hours to verify")

    def deadline(self, kind: str) -> timedelta:
        return timedelta(hours=self.guest_verify_hours if kind == "guest_check_in" else self.verify_hours)


@lru_cache
def declaration_settings() -> DeclarationSettings:
    return DeclarationSettings()
