"""The JDBC sink connector (Debezium's, on Kafka Connect): its configuration and its registration over REST.

Upsert on the primary key taken from the record key (idempotent: a redelivered row overwrites itself), one table
per exchange topic (the RegexRouter strips the topic prefix), retries of a failed write, and the worker's
dead-letter topic for records the sink refuses (a mandatory element missing, a value not of its type).
"""

from __future__ import annotations

from typing import Any

import httpx

from services.exchange.mapping import Mapping
from services.exchange.settings import ExchangeSettings
from services.exchange.topics import connector_name, dead_letter_topic, exchange_topic


def connector_config(mapping: Mapping, settings: ExchangeSettings, namespace: str) -> dict[str, str]:
    url, user, password = settings.jdbc()
    prefix = f"{namespace}.exchange.province."
    return {
        "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
        "tasks.max": "1",  # one task: every table's changes in order, and little load on the target
        "topics": ",".join(exchange_topic(table, namespace) for table in mapping.tables),
        "connection.url": url,
        "connection.username": user,
        "connection.password": password,
        "insert.mode": "upsert",
        "primary.key.mode": "record_key",
        "delete.enabled": "false",
        "schema.evolution": "basic",  # the example creates its tables; a province's DBA sets "none"
        "quote.identifiers": "false",
        "collection.name.format": "${topic}",
        "transforms": "table",
        "transforms.table.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.table.regex": prefix.replace(".", r"\.") + "(.*)",
        "transforms.table.replacement": "$1",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "true",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "true",
        "flush.max.retries": str(settings.max_retries),
        "flush.retry.delay.ms": "2000",
        "errors.retry.timeout": "60000",
        "errors.retry.delay.max.ms": "5000",
        "errors.tolerance": "all",
        "errors.log.enable": "true",
        "errors.deadletterqueue.topic.name": dead_letter_topic(namespace),
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    }


def register(mapping: Mapping, settings: ExchangeSettings, namespace: str) -> dict[str, Any]:
    """Create or update the connector (PUT is idempotent); returns the worker's answer."""
    with httpx.Client(base_url=settings.connect_url, timeout=30) as client:
        response = client.put(f"/connectors/{connector_name(namespace)}/config",
                              json=connector_config(mapping, settings, namespace))
        response.raise_for_status()
        return response.json()


def status(settings: ExchangeSettings, namespace: str) -> dict[str, Any]:
    """The connector's and its task's state (RUNNING, FAILED with the trace ...)."""
    with httpx.Client(base_url=settings.connect_url, timeout=30) as client:
        response = client.get(f"/connectors/{connector_name(namespace)}/status")
        response.raise_for_status()
        return response.json()


def restart_failed(settings: ExchangeSettings, namespace: str) -> None:
    """Restart the connector's failed task (after a refusal by the database was fixed): it resumes from the first
    record it had not written."""
    with httpx.Client(base_url=settings.connect_url, timeout=30) as client:
        response = client.post(f"/connectors/{connector_name(namespace)}/restart",
                               params={"includeTasks": "true", "onlyFailed": "true"})
        response.raise_for_status()


def remove(settings: ExchangeSettings, namespace: str) -> None:
    with httpx.Client(base_url=settings.connect_url, timeout=30) as client:
        response = client.delete(f"/connectors/{connector_name(namespace)}")
        if response.status_code != 404:
            response.raise_for_status()
