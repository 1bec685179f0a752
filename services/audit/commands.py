"""What a supervisor or inspector asks the audit to do (imperative; the answers are campaign events)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.audit import FieldVerdict


class InspectorIn(BaseModel):
    id: str = Field(min_length=1, max_length=64, description="检查人 id (警号)", examples=["PC-0302"])
    organisation_code: str = Field(pattern=r"^\d{6,12}$", description="检查人所属辖区", examples=["532502"])


class OpenCampaign(BaseModel):
    """发起交叉检查/抽样验收: a division, entity types and a sample size; inspectors from elsewhere."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "2026年11月文澜街道门牌抽查", "division_code": "532503001", "entity_types": ["Doorplate"],
        "sample_size": 30, "seed": 20261127, "rectification_days": 15,
        "inspectors": [{"id": "PC-0302", "organisation_code": "532502"}], "as_of": "2026-11-27T00:00:00+08:00"}]})

    name: str = Field(min_length=1, max_length=100, description="检查名称", examples=["2026年11月文澜街道门牌抽查"])
    division_code: str = Field(pattern=r"^\d{6,12}$", description="检查范围 (county or township)", examples=["532503001"])
    entity_types: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=10, description="stream types to sample (Doorplate, Person, House, Unit ...)",
        examples=[["Doorplate"]])
    sample_size: int = Field(ge=1, le=10000, description="样本量", examples=[30])
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="随机种子; omitted: drawn and recorded",
                             examples=[20261127])
    rectification_days: int | None = Field(default=None, ge=1, le=365, examples=[15],
                                           description="整改期限 (days); omitted: YBSS_AUDIT_RECTIFICATION_DAYS")
    inspectors: list[InspectorIn] = Field(min_length=1, max_length=500, description="检查人员 (from other jurisdictions)")
    as_of: datetime | None = Field(default=None, description="sample the records as they were then (default now)")


class Inspect(BaseModel):
    """检查记录: per-field verdicts on one sampled record and a remark."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "stream_id": "doorplate-532503001411234567890125",
        "verdicts": [{"field": "number", "verdict": "wrong", "correct_value": "20"},
                     {"field": "place_name", "verdict": "correct"}], "remark": "实地门牌为20号"}]})

    stream_id: str = Field(min_length=1, max_length=200, examples=["doorplate-532503001411234567890125"])
    verdicts: list[FieldVerdict] = Field(min_length=1, max_length=100, examples=[[
        {"field": "number", "verdict": "wrong", "correct_value": "20"},
        {"field": "place_name", "verdict": "correct"}]])
    remark: str = Field(default="", max_length=500, description="备注", examples=["实地门牌为20号"])
