"""Settings from environment variables: the same code runs on the local stack and on a real cluster."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_DEV_JWT_SECRET = "ybss-local-development-key-do-not-use-in-production"


class Settings(BaseSettings):
    """Unprefixed names for the two connection strings users already know; ``YBSS_`` for the rest."""

    model_config = SettingsConfigDict(env_prefix="YBSS_", extra="ignore")

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    mongodb_uri: str = Field(
        default="mongodb://127.0.0.1:27017/?replicaSet=secantus", validation_alias="MONGODB_URI"
    )
    kafka_security_protocol: str = Field(default="PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL",
                                         pattern="^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$")
    kafka_sasl_mechanism: str | None = Field(default=None, validation_alias="KAFKA_SASL_MECHANISM",
                                             description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
    kafka_sasl_username: str | None = Field(default=None, validation_alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: str | None = Field(default=None, validation_alias="KAFKA_SASL_PASSWORD", repr=False)
    kafka_ssl_cafile: str | None = Field(default=None, validation_alias="KAFKA_SSL_CAFILE")
    namespace: str = Field(default="ybss", description="prefix of topics, consumer groups and databases")
    topic_partitions: int = Field(default=6, ge=1)
    topic_replication_factor: int = Field(default=1, ge=1)
    environment: str = Field(default="local", description="local (make run, tests) or anything else (staging, "
                             "production): outside local the services refuse the development JWT key")
    jwt_secret: str = LOCAL_DEV_JWT_SECRET
    jwt_algorithm: str = "HS256"
    jwt_issuer: str = "ybss"
    relay_batch_size: int = Field(default=500, ge=1)
    relay_idle_poll_seconds: float = Field(default=0.2, gt=0)
    relay_lease_ttl_seconds: float = Field(
        default=10.0, ge=1, description="a relay leader's term without renewal; a standby takes over after it")
    relay_lease_renew_seconds: float = Field(
        default=2.0, gt=0, description="how often the leader renews and a standby tries to take the lease")
    projection_max_attempts: int = Field(default=3, ge=1, description="tries before a message is dead-lettered")
    projection_retry_backoff_seconds: float = Field(default=0.05, ge=0)
    projection_batch_max_events: int = Field(default=500, ge=1, description="events applied in one transaction")
    projection_batch_max_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, description="bytes per transaction")
    projection_batch_max_seconds: float = Field(
        default=2.0, gt=0, le=8, description="time per transaction: well inside the server's transaction lifetime")
    read_wait_timeout_seconds: float = Field(default=5.0, gt=0, description="max wait for read-your-writes")
    consumer_session_timeout_ms: int = Field(
        default=6000, ge=1000, description="how soon a dead consumer's partitions move to a live one")
    consumer_heartbeat_interval_ms: int = Field(default=2000, ge=100)
    generation_poll_seconds: float = Field(default=2.0, gt=0, description="how often services look for a swapped read model")
    log_level: str = "INFO"

    def insecure_reasons(self) -> list[str]:
        """Why this configuration must not serve outside local mode (empty when it may)."""
        if self.environment == "local":
            return []
        reasons = []
        if self.jwt_secret == LOCAL_DEV_JWT_SECRET:
            reasons.append("YBSS_JWT_SECRET is the committed development key; set the identity provider's key")
        elif self.jwt_algorithm.startswith("HS") and len(self.jwt_secret.encode()) < 32:
            reasons.append(f"YBSS_JWT_SECRET is {len(self.jwt_secret.encode())} bytes; an HMAC key needs at least 32")
        return reasons

    def kafka_client_options(self) -> dict:
        """Connection options every Kafka client takes (producer, consumers, admin): the bootstrap servers
        and, on a secured cluster, TLS and SASL (the manifests set KAFKA_SECURITY_PROTOCOL=SASL_SSL)."""
        options: dict = {"bootstrap_servers": self.kafka_bootstrap_servers,
                         "security_protocol": self.kafka_security_protocol}
        if self.kafka_security_protocol in ("SSL", "SASL_SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(cafile=self.kafka_ssl_cafile)
        if self.kafka_security_protocol.startswith("SASL"):
            options.update(sasl_mechanism=self.kafka_sasl_mechanism or "PLAIN",
                           sasl_plain_username=self.kafka_sasl_username, sasl_plain_password=self.kafka_sasl_password)
        return options

    def database_name(self, context: str) -> str:
        """One database per bounded context: services never share collections."""
        return f"{self.namespace}_{context}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
