"""What /readyz answers: whether this pod can serve, which needs MongoDB only.

A write lands in the event store and its outbox (MongoDB) and reaches Kafka later through the relay, and reads come
from MongoDB's read models, so a Kafka outage must not take every API out of rotation: /readyz reports Kafka's
state but stays 200 while MongoDB answers. Kafka's health is watched by alerts instead (relay lag, broker metrics;
deploy/k8s/base/monitoring.yaml).
"""

from __future__ import annotations

GATING = ("mongodb",)  #: the dependencies without which the pod cannot serve


def readiness(checks: dict[str, str]) -> tuple[int, dict[str, str]]:
    """(HTTP status, body) for the dependency checks (``{"mongodb": "ok", "kafka": "unreachable: ..."}``)."""
    ok = all(checks.get(name) == "ok" for name in GATING)
    return (200 if ok else 503), {"status": "ok" if ok else "unavailable", **checks}
