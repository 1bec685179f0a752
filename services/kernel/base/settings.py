"""Settings from environment variables: the same code runs on the local stack and on a real cluster."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: the retired HMAC development key (before issue 16): refused like any YBSS_JWT_SECRET, and must appear nowhere in
#: deploy/ (tests/deploy checks)
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
    environment: str = Field(default="production", description="local (make run, tests: set explicitly) or anything "
                             "else (staging, production): outside local the services refuse development keys")
    jwt_jwks_file: str | None = Field(default=None, description="JWKS file with the public keys that verify tokens")
    jwt_jwks_url: str | None = Field(default=None, description="the identity provider's JWKS URL (cached)")
    jwt_jwks_cache_seconds: float = Field(default=300.0, gt=0, description="how long a fetched JWKS is trusted")
    jwt_private_key_file: str | None = Field(default=None, description="PEM that `ybss token` signs with (local)")
    jwt_issuer: str = "ybss"
    jwt_audience: str = "ybss"
    jwt_max_ttl_seconds: int = Field(default=12 * 3600, ge=60, description="longest accepted exp - iat")
    service_key_file: str | None = Field(default=None, description="PEM of this service's own identity (ingest)")
    jwt_secret: str | None = Field(default=None, repr=False, description="legacy HMAC key: refused outside local, "
                                   "ignored in local (HMAC tokens are refused everywhere)")
    relay_batch_size: int = Field(default=500, ge=1)
    request_body_max_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="largest request body (413 over it); a route may declare its own")
    relay_idle_poll_seconds: float = Field(default=0.2, gt=0)
    access_outbox_retention_days: int = Field(
        default=30, ge=1, le=3650, description="days a published access-log entry stays in its context's outbox "
        "(access_log); the topic and the audit's access store keep the log")
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

    @property
    def local(self) -> bool:
        return self.environment == "local"

    def jwks_source(self) -> tuple[str | None, str | None]:
        """(file, url) of the verifying keys; locally, without either, the development keys (made on first use)."""
        if self.jwt_jwks_file or self.jwt_jwks_url or not self.local:
            return self.jwt_jwks_file, self.jwt_jwks_url
        from services.kernel.base.devkeys import JWKS, ensure_dev_keys

        return str(ensure_dev_keys() / JWKS), None

    def user_signing_key_file(self) -> str | None:
        """The PEM `ybss token` signs with: the configured one, or locally the development key."""
        if self.jwt_private_key_file or not self.local:
            return self.jwt_private_key_file
        from services.kernel.base.devkeys import USER_KEY, ensure_dev_keys

        return str(ensure_dev_keys() / USER_KEY)

    def service_signing_key_file(self, service: str) -> str | None:
        """The PEM of a service's own identity: ``YBSS_SERVICE_KEY_FILE``, or locally its development key."""
        if self.service_key_file or not self.local:
            return self.service_key_file
        from services.kernel.base.devkeys import ensure_dev_keys, service_key_name

        return str(ensure_dev_keys() / service_key_name(service))

    def insecure_reasons(self, context: str | None = None) -> list[str]:
        """Why this configuration must not serve outside local mode (empty when it may); ``context`` names the
        service starting (one with its own identity needs its key)."""
        if self.local:
            return []
        from services.kernel.base.devkeys import SERVICE_IDENTITIES
        from services.kernel.base.keys import KeySourceError, is_development_kid, keyset, signing_key

        reasons = []
        if context in SERVICE_IDENTITIES and not self.service_key_file:
            reasons.append(f"the {context} service calls others under its own identity: set YBSS_SERVICE_KEY_FILE "
                           f"to its private key (public half in the JWKS as svc-{context})")
        if self.jwt_secret:
            reasons.append("YBSS_JWT_SECRET is set: HMAC tokens are no longer accepted (whoever holds the secret can "
                           "mint any token); remove it and mount the public keys (YBSS_JWT_JWKS_FILE)")
        if not (self.jwt_jwks_file or self.jwt_jwks_url):
            return [*reasons, "no JWKS: set YBSS_JWT_JWKS_FILE or YBSS_JWT_JWKS_URL to the identity provider's "
                              "public keys"]
        keys = keyset(self.jwt_jwks_file, self.jwt_jwks_url, self.jwt_jwks_cache_seconds)
        try:
            development = sorted(kid for kid in keys.keys() if is_development_kid(kid))
        except KeySourceError as error:
            return [*reasons, str(error)]
        if development:
            reasons.append(f"the JWKS {keys.source} holds development keys {development} (made by `make up`); "
                           "publish only the identity provider's and the services' own keys")
        if self.service_key_file:
            try:
                kid = signing_key(self.service_key_file, keys).kid
                if is_development_kid(kid):
                    reasons.append(f"YBSS_SERVICE_KEY_FILE is the development key {kid}")
            except KeySourceError as error:
                reasons.append(f"YBSS_SERVICE_KEY_FILE: {error}")
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
