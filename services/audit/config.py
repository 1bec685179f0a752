"""Audit configuration (YBSS_AUDIT_*): deadlines, the rectifier's pace and the access-log rules are settings."""

from __future__ import annotations

from functools import cached_property, lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts import inspections


class AuditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YBSS_AUDIT_", extra="ignore")

    rectification_days: int = Field(default=15, ge=1, description="整改期限: days before an open task is overdue")
    rectification_sweep_seconds: float = Field(default=2.0, gt=0, description="how often open tasks look for a "
                                               "correcting event")
    # access-log rules (可疑查询): each a threshold per actor per window
    access_window_hours: int = Field(default=24, ge=1, description="window the access rules count over")
    access_outside_persons: int = Field(default=10, ge=1, description="distinct persons outside the reader's "
                                        "jurisdiction within the window that flag the reader")
    access_night_reads: int = Field(default=5, ge=1, description="reads at night within the window that flag the reader")
    night_start_hour: int = Field(default=22, ge=0, le=23, description="night starts (local time)")
    night_end_hour: int = Field(default=6, ge=0, le=23, description="night ends (local time)")
    utc_offset_hours: int = Field(default=8, ge=-12, le=14, description="local time for 'night' (China: +8)")
    person_record_types: list[str] = Field(default=["person"], description="record types that count as persons")
    # 查询留痕 retention: 《网络安全法》第二十一条 asks network logs be kept at least six months
    access_log_retention_days: int = Field(default=180, ge=1, le=36500, description="days an access-log entry stays "
                                           "in the audit's access store before the TTL index removes it")
    report_freeze_grace_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60, description="a closed month's report "
                                             "is frozen this long after the month ends (late-arriving events)")
    inspection_cycle_days: dict[str, int] = Field(
        default_factory=dict, validation_alias=AliasChoices("YBSS_UNIT_INSPECTION_CYCLE_DAYS"),
        description="检查周期 overrides, the unit registry's own setting (one rule: contracts.inspections)")

    @cached_property
    def cycles(self) -> dict[str, int]:
        """The inspection cycles the figures count 超期未检查 with (the shipped ones with these overrides); read
        here and passed into the pure figures (services.audit.domain.metrics)."""
        return inspections.inspection_cycles(self.inspection_cycle_days)


@lru_cache
def audit_settings() -> AuditSettings:
    return AuditSettings()
