"""Prometheus metrics shared by every service; exposed on ``/metrics``."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "ybss_http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram("ybss_http_request_seconds", "HTTP request latency", ["service", "method", "route"])
EVENTS_APPENDED = Counter("ybss_events_appended_total", "Events appended to the event store", ["stream_type"])
APPEND_CONFLICTS = Counter("ybss_append_conflicts_total", "Appends refused by the expected-version check", ["stream_type"])
EVENTS_RELAYED = Counter("ybss_events_relayed_total", "Events published to Kafka by the outbox relay", ["topic"])
RELAY_LAG_EVENTS = Gauge("ybss_relay_lag_events", "Events stored but not yet published", ["context"])
RELAY_LAG_SECONDS = Gauge("ybss_relay_lag_seconds", "Age of the oldest unpublished event", ["context"])
PROJECTION_APPLY = Histogram("ybss_projection_apply_seconds", "Time to apply one event to a read model", ["projection"])
PROJECTION_OUTCOMES = Counter(
    "ybss_projection_events_total", "Events seen by projections by outcome", ["projection", "outcome"]
)
DEAD_LETTERS = Counter("ybss_dead_letters_total", "Messages sent to a dead-letter topic", ["projection", "reason"])
PROJECTION_BATCHES = Counter(
    "ybss_projection_batches_total", "Projection batches by how they ended", ["projection", "outcome"]
)
PROJECTION_BATCH_SIZE = Histogram(
    "ybss_projection_batch_events", "Events settled per projection transaction", ["projection"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000),
)
PARKED_EVENTS = Counter("ybss_parked_events_total", "Events parked behind a dead letter", ["projection", "reason"])
REDRIVEN_EVENTS = Counter("ybss_redriven_events_total", "Parked events re-applied by a redrive", ["projection"])
