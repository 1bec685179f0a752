"""The declarations read model (申报台账): one document per declaration, the fold of its stream through each
event's ``evolve`` (contracts/declarations.py), fed by the ingest service's own events topic."""

from __future__ import annotations

from pymongo import ASCENDING

from contracts.declarations import DeclarationAnswered, DeclarationRejected, DeclarationSubmitted, DeclarationVerified
from services.kernel.messaging.projection import Projection
from services.kernel.messaging.record_fold import fold_records

DECLARATIONS = "declarations"
READ_MODEL = "ingest-declarations"

declarations = Projection(READ_MODEL, sources=["ingest"], collections=[DECLARATIONS])
declarations.index(DECLARATIONS, [("state", ASCENDING), ("due_at", ASCENDING), ("_id", ASCENDING)])
declarations.index(DECLARATIONS, [("division_code", ASCENDING)])
declarations.index(DECLARATIONS, [("declarant", ASCENDING), ("due_at", ASCENDING)])

fold_records(declarations, DECLARATIONS, "declaration_id", DeclarationSubmitted, DeclarationVerified,
             DeclarationRejected, DeclarationAnswered)
