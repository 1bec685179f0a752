"""What /readyz answers: whether this pod can serve, which needs MongoDB only.

A write lands in the event store and its outbox (MongoDB) and reaches Kafka later through the relay, and reads come
from MongoDB's read models, so a Kafka outage must not take every API out of rotation: /readyz reports Kafka's
state but stays 200 while MongoDB answers. Kafka's health is watched by alerts instead (relay lag, broker metrics;
deploy/k8s/base/monitoring.yaml). A service whose read models are still being read for the first time
(services.kernel.messaging.warmup) is not ready either: its first reader would wait for a cold collection.
"""

from __future__ import annotations

GATING = ("mongodb",)  #: the dependencies without which the pod cannot serve
#: reported by a service with read models: "warming" until each was read once (services.kernel.messaging.warmup)
WARMING = "read_models"


def readiness(checks: dict[str, str]) -> tuple[int, dict[str, str]]:
    """(HTTP status, body) for the dependency checks (``{"mongodb": "ok", "kafka": "unreachable: ..."}``)."""
    ok = all(checks.get(name) == "ok" for name in GATING) and checks.get(WARMING, "ok") == "ok"
    return (200 if ok else 503), {"status": "ok" if ok else "unavailable", **checks}
