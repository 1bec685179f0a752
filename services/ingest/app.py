"""Wiring of the ingest gate (社会化采集): batches over HTTP, the Kafka gate, the batch status, 地址治理, and
declarations (信息申报: declared, verified by police, handed to the registry)."""

from services.ingest.api import batches, declarations, reviews, sheets
from services.ingest.consumers import batches as batch_status
from services.ingest.consumers import gate
from services.ingest.declarations.handover import hand_over, keep_answers
from services.ingest.declarations.projection import declarations as declarations_read_model
from services.ingest.ingest import consume_ingest as declarations_from_agencies
from services.kernel.web.app import ServiceSpec, create_app

SPEC = ServiceSpec(
    context="ingest",
    description="The data-standard gate for agencies: records on Kafka or in HTTP batches, checked and forwarded "
                "to the registry that owns them, answered with reasons; free-text addresses matched or reviewed.",
    routers=[reviews.router, sheets.router, batches.router, declarations.router],
    projections=[declarations_read_model],
    background=[gate, batch_status, hand_over, keep_answers, declarations_from_agencies],
)


def build_app():
    return create_app(SPEC)
