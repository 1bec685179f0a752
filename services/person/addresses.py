"""The person context's one address port (标准地址): its own replica of the address registry, for commands
(a residence's address must be in use) and for reads (the address's current name, 查人知住).

One retry rule, here only: a code the replica does not know yet is looked up again for up to
``UNKNOWN_ADDRESS_WAIT_SECONDS`` before a command is refused with ``address.unknown``. The address registry is
another context whose events reach the replica a moment after the address is registered, so "unknown" right
after registering it usually means "not yet"; "retired" is final and is answered at once. Reads never wait:
they show the name stored on the residence when the replica lacks the code, and a list would wait once per row.

A residence is also refused (422 ``house.demolished`` on the field) where every house this service knows at the
address was demolished (拆除/灭失: no new residents), as the house registry refuses new rentals and tenants there.
The houses come from the 查人知住 projection's fold of the house topic (``wa_houses``); an address with no house
registered at all is still accepted (people live at plates before their house is registered: the sweeps list them).
"""

from __future__ import annotations

import asyncio
import time

from services.kernel.base.errors import DomainRuleViolation
from services.kernel.messaging.read_models import ReadModel, ReadModels
from services.replicas.address import ReplicaAddress, lookup_address, require_usable_address
from services.person.projections import ADDRESSES
from services.person.whereabouts import HOUSES_FOLDED, WHEREABOUTS

#: an address registered a moment ago may not have reached the replica yet: wait this long before "unknown"
UNKNOWN_ADDRESS_WAIT_SECONDS = 2.0
RETRY_INTERVAL_SECONDS = 0.1


def replica(reads: ReadModels) -> ReadModel:
    """The live generation of this service's address replica."""
    return reads.read_model(ADDRESSES, ADDRESSES)


class PersonAddresses:
    """``await addresses(code)``: the in-use address (merges followed) or 422 on ``field``; ``lookup``: any known
    address as the registry names it now, or None."""

    def __init__(self, reads: ReadModels, wait_seconds: float = UNKNOWN_ADDRESS_WAIT_SECONDS) -> None:
        self._reads = reads
        self._wait_seconds = wait_seconds

    async def lookup(self, code: str) -> ReplicaAddress | None:
        return await lookup_address(replica(self._reads), code)

    async def __call__(self, code: str, field: str = "address_code") -> ReplicaAddress:
        deadline = time.monotonic() + self._wait_seconds
        while True:
            try:
                address = await require_usable_address(replica(self._reads), code, field)
                break
            except DomainRuleViolation as error:
                if error.rule != "address.unknown" or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(RETRY_INTERVAL_SECONDS)
        await self._refuse_demolished(address.code, field)
        return address

    async def _refuse_demolished(self, code: str, field: str) -> None:
        houses = await self._reads.read_model(WHEREABOUTS, HOUSES_FOLDED).find(
            {"address_code": code}, {"status": 1, "demolished_on": 1}).to_list(None)
        if houses and all(house.get("status") == "demolished" for house in houses):
            raise DomainRuleViolation(field, "house.demolished", f"the house at {code} was demolished on "
                                      f"{houses[0].get('demolished_on')}: no new residents", "该地址房屋已拆除或灭失")
