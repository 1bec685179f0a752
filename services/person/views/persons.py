"""Queries over the ``persons`` read model: one person (following merges), lookups by document number, name
or phone, residences with their addresses' *current* names (from the address replica), deadline flags.
"""

from __future__ import annotations

import re
from datetime import datetime

from contracts.identity import guess_number, normalize_number
from contracts.phone import PhoneError, normalize_phone
from contracts.person_deadlines import DeadlineFacts, Flag, flags
from contracts.person_record import open_residence
from services.kernel.web.reads import caught_up
from services.kernel.base.errors import DomainRuleViolation
from services.kernel.messaging.read_models import ReadModels
from services.person.domain.person import person_stream
from services.person.addresses import PersonAddresses, replica
from services.person.projections import REGISTRY


class QueryRuleViolation(DomainRuleViolation):
    """A rule broken by a query parameter: located where FastAPI locates those (``["query", name]``)."""

    def as_detail(self) -> dict:
        return {**super().as_detail(), "loc": ["query", self.field]}


MAX_REDIRECTS = 8
MIN_SUFFIX = 6


def persons(reads: ReadModels):
    return reads.read_model(REGISTRY, "persons")


async def person_by_id(reads: ReadModels, person_id: str, follow: bool = True) -> tuple[dict | None, str | None]:
    """The person, or the survivor a merged record redirects to (and the id asked for, when redirected)."""
    collection = persons(reads)
    document = await collection.find_one({"_id": person_id})
    hops = 0
    while follow and document is not None and document.get("redirect_to") and hops < MAX_REDIRECTS:
        target = document["redirect_to"]
        # the survivor's stream may sit on a partition the read model has not reached yet: wait for what is stored
        stored = await reads.store.current_version(person_stream(target))
        await caught_up(reads, REGISTRY, person_stream(target), stored, "person", target,
                              caller=None)  # what is stored, not a caller's token: the route checks the survivor
        survivor = await collection.find_one({"_id": target})
        if survivor is None:
            break
        document, hops = survivor, hops + 1
    if document is None:
        return None, None
    return document, (person_id if document["_id"] != person_id else None)


def normalised_lookup_number(raw: str) -> tuple[str, str]:
    """The number to look up (a 15-digit legacy number upgraded) and the raw normalised form."""
    plain = normalize_number(raw)
    identity = guess_number(plain)
    return (identity.number if identity else plain), plain


def lookup_query(scope: dict, *, id_number: str | None = None, id_number_suffix: str | None = None,
                 name: str | None = None, phone: str | None = None, category: str | None = None,
                 include_inactive: bool = False) -> dict:
    """The filter of the persons matching every given key inside ``scope`` (422 naming a malformed key)."""
    query: dict = dict(scope)
    if id_number:
        number, plain = normalised_lookup_number(id_number)
        query["$or"] = [{"document_number": number}, {"legacy_number": plain}]
    if id_number_suffix:
        suffix = normalize_number(id_number_suffix)
        if len(suffix) < MIN_SUFFIX:
            raise QueryRuleViolation("id_number_suffix", "lookup.suffix_too_short",
                                      f"a partial ID number needs at least its last {MIN_SUFFIX} characters",
                                      f"按部分证件号码查询须至少提供后{MIN_SUFFIX}位")
        query["document_number_reversed"] = {"$regex": "^" + re.escape(suffix[::-1])}
    if name:
        query["$and"] = [{"$or": [{"name": name.strip()}, {"former_names": name.strip()}]}]
    if phone:
        try:
            query["phone"] = normalize_phone(phone)
        except PhoneError:
            raise QueryRuleViolation("phone", "phone.invalid", f"{phone!r} is not a valid phone number",
                                      f"{phone} 不是有效的电话号码") from None
    if category:
        query["category"] = category
    if not include_inactive:
        query["status"] = {"$ne": "merged"}
    return query


async def current_address(reads: ReadModels, document: dict) -> dict | None:
    """Where the person lives now (查人知住), as the address registry names it today."""
    code = document.get("current_address_code")
    if not code:
        return None
    address = await PersonAddresses(reads).lookup(code)
    residence = open_residence(document) or {}
    return {"code": address.code if address else code, "moved_in": residence.get("moved_in"),
            "full_name": (address.full_name if address else None) or residence.get("address_name"),
            "status": address.status if address else "unknown"}


async def residences(reads: ReadModels, document: dict) -> list[dict]:
    """Current and past residences, newest first, each with the address as the registry knows it now."""
    answer, addresses = [], PersonAddresses(reads)
    for residence in reversed(document.get("residences") or []):
        address = await addresses.lookup(residence["address_code"])
        current = residence.copy()
        current["current"] = residence.get("moved_out") is None
        current["address"] = None if address is None else {
            "code": address.code, "full_name": address.full_name or residence.get("address_name"),
            "status": address.status, "kind": address.kind, "redirected_from": address.redirected_from,
            "place_name": address.place_name, "door_number": address.door_number}
        answer.append(current)
    return answer


def deadline_flags(document: dict, as_of: datetime) -> list[Flag]:
    """The flags of a record, the 24-hour rule judged on when the current stay was registered (a foreigner's
    住宿变更 registers the new accommodation)."""
    registered_at = document.get("accommodation_registered_at") or document["registered_at"]
    facts = DeadlineFacts.of(document["category"], document["status"], registered_at, document.get("details") or {})
    return flags(facts, as_of)
