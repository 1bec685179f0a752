"""Where the exchange delivers: the Connect worker, the target database and the mapping (``YBSS_EXCHANGE_*``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.exchange.mapping import EXAMPLE

#: the feed subscriber the province reads as (services/feeds/subscribers.json): its own topics, its own grant
SUBSCRIBER = "provincial-exchange"


class ExchangeSettings(BaseSettings):
    """Defaults are the local stack's (deploy/local/exchange.sh)."""

    model_config = SettingsConfigDict(env_prefix="YBSS_EXCHANGE_", extra="ignore")

    connect_url: str = Field(default="http://127.0.0.1:8083", description="Kafka Connect worker REST")
    target_dsn: str = Field(default="postgresql://ybss:ybss@127.0.0.1:5433/province", repr=False,
                            description="the target database (libpq URI); the sink's JDBC URL is derived from it")
    mapping_file: Path = Field(default=EXAMPLE, description="the mapping tables (TOML)")
    max_retries: int = Field(default=10, ge=0, description="the sink's retries of a failed write (flush.max.retries)")

    def jdbc(self) -> tuple[str, str, str]:
        """(JDBC URL, user, password) of ``target_dsn`` for the connector."""
        parts = urlsplit(self.target_dsn)
        url = f"jdbc:postgresql://{parts.hostname}:{parts.port or 5432}{parts.path}"
        return url, parts.username or "", parts.password or ""


@lru_cache
def get_exchange_settings() -> ExchangeSettings:
    return ExchangeSettings()
