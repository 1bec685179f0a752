"""The feeds' FastStream broker: publishes with the service's Kafka connection options (TLS, SASL) and the same
durability as the outbox relay (acks=all, idempotent producer), so a confirmed publish is on the broker once."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from services.kernel.base.settings import Settings

SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def security(settings: Settings) -> BaseSecurity | None:
    """``Settings.kafka_client_options`` in FastStream's terms."""
    options = settings.kafka_client_options()
    protocol = options["security_protocol"]
    if protocol.startswith("SASL"):
        mechanism = options.get("sasl_mechanism", "PLAIN")
        return SASL[mechanism](options["sasl_plain_username"], options["sasl_plain_password"],
                               ssl_context=options.get("ssl_context"), use_ssl=protocol == "SASL_SSL")
    if protocol == "SSL":
        return BaseSecurity(ssl_context=options["ssl_context"], use_ssl=True)
    return None


def feed_broker(settings: Settings) -> KafkaBroker:
    return KafkaBroker(settings.kafka_bootstrap_servers, security=security(settings), acks="all",
                       enable_idempotence=True, linger_ms=5, client_id=f"{settings.namespace}-feeds")
