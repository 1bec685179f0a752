"""Read models the address service owns, fed by ybss.address.events."""

from __future__ import annotations

from pymongo import ASCENDING

from services.address import divisions
from services.kernel.projection import Projection, ProjectionTx

registry = Projection("address-registry", sources=["address"], collections=["places", "doorplates"])
registry.index("places", [("division_code", ASCENDING), ("name", ASCENDING)])
registry.index("doorplates", [("division_code", ASCENDING), ("place_name", ASCENDING), ("sort_key", ASCENDING)])
registry.index("doorplates", [("place_code", ASCENDING), ("sort_key", ASCENDING)])


def door_number(payload: dict) -> str:
    return f"{payload.get('prefix', '')}{payload['number']}{payload.get('suffix', '号')}"


def sort_key(number: str) -> list:
    """Numeric order for '2' < '10' < '10-1'."""
    parts = []
    for piece in number.replace("－", "-").split("-"):
        parts.append(int(piece) if piece.isdigit() else 10**9)
    return parts


@registry.handles("PlaceRegistered")
async def place_registered(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await tx.collection("places").replace_one(
        {"_id": payload["code"]},
        {**payload, "_id": payload["code"], "status": "in_use", "_version": tx.envelope.version},
        upsert=True, session=tx.session,
    )


@registry.handles("DoorplateRegistered")
async def doorplate_registered(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    number = door_number(payload)
    document = {
        **payload,
        "_id": payload["code"],
        "door_number": number,
        "sort_key": sort_key(payload["number"]),
        "full_name": divisions.full_name(payload["division_code"]) + payload["place_name"] + number,
        "status": "in_use",
        "registered_at": tx.envelope.occurred_at,
        "registered_by": tx.envelope.actor.id,
        "_version": tx.envelope.version,
    }
    await tx.collection("doorplates").replace_one({"_id": payload["code"]}, document, upsert=True, session=tx.session)
