"""Agencies (社会化采集单位) are configuration: who may publish which entity types and fields, for which
jurisdiction, and whether their free-text addresses may be linked automatically.

The shipped list is ``services/ingest/agencies.json``; ``YBSS_INGEST_AGENCIES_FILE`` names another file
(the deployment's). An agency's credential is a JWT with role ``agency``, ``sub`` = its id and ``org`` = its
jurisdiction (``ybss token --role agency --sub mz-housing --org 532503``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.ingest_types import RECORD_TYPES

SHIPPED = Path(__file__).with_name("agencies.json")
MAX_BATCH = 10_000  #: records per HTTP batch or spreadsheet


class Agency(BaseModel):
    """One agency allowed through the gate."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="its topic is <ns>.ingest.<id>",
                    examples=["mz-housing"])
    name: str = Field(examples=["蒙自市住房和城乡建设局"])
    jurisdiction: str = Field(pattern=r"^\d{2,12}$", description="the division prefix it may publish for",
                              examples=["532503"])
    entity_types: dict[str, list[str]] = Field(description="entity type → the fields it may publish")
    auto_match_addresses: bool = Field(default=False, description="free-text addresses above the threshold are "
                                       "linked without a collector")
    match_threshold: float = Field(default=0.9, ge=0, le=1, description="the matcher's score needed to link")

    @model_validator(mode="after")
    def _grants_name_the_table(self) -> "Agency":
        """A grant names record types of contracts/ingest_types.py and fields one of their operations applies:
        a typo in the configuration fails at start instead of refusing every record."""
        for entity_type, fields in self.entity_types.items():
            kind = RECORD_TYPES.get(entity_type)
            if kind is None:
                raise ValueError(f"agency {self.id}: unknown entity type {entity_type!r} (known: {', '.join(RECORD_TYPES)})")
            unknown = sorted(set(fields) - kind.fields())
            if unknown:
                raise ValueError(f"agency {self.id}: {entity_type} applies no field {unknown}")
        return self

    def may_publish(self, entity_type: str) -> bool:
        return entity_type in self.entity_types


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YBSS_INGEST_", extra="ignore")

    agencies_file: Path = SHIPPED
    address_url: str = Field(default="http://127.0.0.1:8001", description="the address service (free-text matcher)")
    match_timeout_seconds: float = Field(default=5.0, gt=0)
    match_attempts: int = Field(default=3, ge=1, description="tries before the record waits and is retried")
    review_age_warning_hours: float = Field(default=24.0, gt=0, description="地址治理 items older are flagged overdue")
    #: each refresh of the gate's and the batch status' pattern subscriptions decodes the whole cluster's metadata
    #: (every topic of every namespace): at 3 s on a broker of 500 topics that was half the ingest process's CPU
    #: during a load; configured agencies' topics exist before the gate subscribes, only a stranger's waits
    metadata_refresh_ms: int = Field(default=10_000, ge=100, description="how soon a new agency topic is read")


@lru_cache
def ingest_settings() -> IngestSettings:
    return IngestSettings()


@lru_cache
def agencies() -> dict[str, Agency]:
    data = json.loads(ingest_settings().agencies_file.read_text(encoding="utf-8"))
    return {item["id"]: Agency.model_validate(item) for item in data["agencies"]}
