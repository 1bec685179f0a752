"""Registries whose records stand at standard addresses (实有房屋, 实有单位), read with the service's address replica.

A house or a unit is shown with what the address registry says of its address *now* (a renamed road's full name,
a retired address, the survivor of a merged door plate), joined at read time from the service's own replica
(services.replicas.address), so a rename shows at once without rewriting the registry. The lookups and the join
are written here once for every such registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.kernel.base.errors import NotFound
from services.kernel.messaging.read_models import ReadModel, ReadModels
from services.replicas.address import address_states, same_address_codes


@dataclass(frozen=True)
class AddressedRegistry:
    """A registry's records (``kind`` in a 404) in ``collection`` of ``projection``, and the service's address
    replica ``replica`` (the projection and its collection share the name)."""

    kind: str
    projection: str
    collection: str
    replica: str

    def records(self, reads: ReadModels) -> ReadModel:
        return reads.read_model(self.projection, self.collection)

    def address_replica(self, reads: ReadModels) -> ReadModel:
        return reads.read_model(self.replica, self.replica)

    async def document(self, reads: ReadModels, record_id: str) -> dict[str, Any]:
        """The record ``record_id`` as the registry holds it, or a 404."""
        document = await self.records(reads).find_one({"_id": record_id})
        if document is None:
            raise NotFound(self.kind, record_id)
        return document

    async def address_states(self, reads: ReadModels, documents: list[dict[str, Any]]) -> dict[str, dict]:
        """What the address replica says now about the records' addresses (renamed, merged, retired), by code."""
        return await address_states(self.address_replica(reads),
                                    [d["address_code"] for d in documents if d.get("address_code")])

    async def at_address(self, reads: ReadModels, address_code: str) -> dict:
        """The filter for records at ``address_code``: a merged code finds its survivor's records, and the survivor
        those of the plates merged into it (records registered before a merge keep their old code)."""
        return {"$in": await same_address_codes(self.address_replica(reads), address_code)}


def show_address_now(record: dict[str, Any], addresses_now: dict[str, dict] | None) -> dict | None:
    """Put on a record's API shape what the address replica says of its address now (the current full name, the
    address's status, the survivor a merged address redirects to); returns that address state, None when the
    replica does not know the address (the record then shows the name it was registered with)."""
    address = (addresses_now or {}).get(record.get("address_code"))
    if address is not None:
        record["address_name"] = address["full_name"] or record.get("address_name")
        record["address_status"] = address["status"]
        if address["redirect_to"]:
            record["address_redirected_to"] = address["redirect_to"]  # 重复门牌合并: the survivor answers for it
    return address
