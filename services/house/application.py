"""Application service of the house registry: the kernel's load-decide-append plus this context's own rules.

One house per standard address is a write-side claim (``house-address:<code>``), never a read-model check.
The address comes from the service's replica of the address registry (unknown or retired → 422, merged →
the survivor, renamed → its current name), reached through a port so unit tests use a fake.
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Sequence

from pydantic import Field

from services.house.commands import (
    AddTenant, ChangeOwner, ChangeRentalTerms, ChangeUse, CorrectHouse, DecideKeyStatus, Demolish, EndRental,
    RecordCheck, RegisterHouse, ReplaceLessor, ReplaceSecurityPerson, RequestKeyStatus, SetKeyStatus, StartRental,
    TenantMoveOut,
)
from services.house.domain.house import AddressFacts, House, RentalTerms, house_stream
from services.house.domain.rental_changes import TermsChange
from contracts.calendar import china_today
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.application import Accepted, Application
from services.kernel.eventsourcing.bulk import Claimed, register_many
from services.kernel.base.errors import StateConflict
from services.kernel.eventsourcing.ids import new_id
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort
from services.replicas.address import AddressPort
from services.replicas.links import PersonPort, UnitPort, check_parties

class HouseAccepted(Accepted):
    """A house command's answer: the house, its stream and new version, and what it got wrong but was kept."""

    house_id: str = Field(examples=["H0192f1a2b3c47d5e8f9a0b1c2d3e4f5a6"])
    rental_id: str | None = Field(default=None, description="the rental a command created or changed")
    check_id: str | None = Field(default=None)
    request_id: str | None = Field(default=None, description="the key-status request (管理等级/重点房屋申请) made "
                                   "or decided")
    address_code: str | None = Field(default=None, description="the address registered at (a merged code's survivor)")
    logic_errors: list[dict[str, str]] = Field(default_factory=list, description="逻辑错误 reported, not refused")


def address_claim(code: str) -> str:
    return f"house-address:{code}"


def duplicate_house(code: str) -> Callable[[str], StateConflict]:
    return lambda holder: StateConflict("house.duplicate", f"address {code} already has house {holder}",
                                        f"标准地址 {code} 已登记房屋 {holder}")


class HouseService(Application):
    def __init__(self, store: EventStorePort, claims: ClaimsPort, addresses: AddressPort, persons: PersonPort,
                 today: Callable[[], date] = china_today, units: UnitPort | None = None) -> None:
        super().__init__(store, claims)
        self.addresses = addresses
        self.persons = persons  #: the person replica: a linked person must exist and not be cancelled
        self.units = units  #: the unit replica: a unit named as a party must exist and not be closed
        self.today = today

    @staticmethod
    def accepted(house: House, **extra) -> HouseAccepted:
        return HouseAccepted(house_id=house.house_id, stream_id=house.id, version=house.version, **extra)

    async def register(self, command: RegisterHouse, ctx: CommandContext) -> HouseAccepted:
        claimed, code = await self._decide_registration(command, ctx)

        async def register() -> House:
            return await self.save(claimed.build(), ctx)

        house = await self.register_claimed(claimed.key, register, lambda h: h.house_id, claimed.duplicate)
        return self.accepted(house, address_code=code, logic_errors=house.logic_errors())

    async def _decide_registration(self, command: RegisterHouse, ctx: CommandContext) -> tuple[Claimed[House], str]:
        """What a registration checks before its claim (the address, the jurisdiction, the owner) and the house
        it makes once the address is won."""
        address = await self.addresses(command.address_code, "address_code")
        ctx.require_within(address.division_code)
        facts = AddressFacts(code=address.code, kind=address.kind, full_name=address.full_name,
                             division_code=address.division_code or "")
        owner = (await check_parties(self.persons, [("owner", command.owner)], self.units)).get("owner", command.owner)
        house_id = new_id("H")

        def build() -> House:
            return House.register(house_id, facts, property_nature=command.property_nature, use=command.use,
                                  area=command.area, rooms=command.rooms, owner=owner,
                                  management_level=command.management_level, key_house=command.key_house,
                                  key_reason=command.key_reason)

        return Claimed(address_claim(address.code), build, ctx, duplicate_house(address.code)), address.code

    async def register_many(self, commands: Sequence[tuple[RegisterHouse, CommandContext]]
                            ) -> list[HouseAccepted | Exception]:
        """批量登记 (an initial load): each command answered as ``register`` would answer it alone, the address
        claims taken, the houses appended and the claims handed over in one round trip each for the set."""
        return await register_many(self, commands, self._decide_registration, lambda house: house.house_id,
                                   lambda house, code: self.accepted(house, address_code=code,
                                                                     logic_errors=house.logic_errors()),
                                   self.register)

    async def _change(self, house_id: str, expected_version: int | None, action, ctx: CommandContext,
                      **extra) -> HouseAccepted:
        outcome: dict = {}

        def decide(house: House) -> None:
            outcome["errors"] = action(house)

        house = await self.change(House, house_stream(house_id), house_id, expected_version, decide, ctx)
        errors = outcome["errors"] if isinstance(outcome.get("errors"), list) else house.logic_errors()
        return self.accepted(house, logic_errors=errors, **extra)

    async def correct(self, house_id: str, command: CorrectHouse, ctx: CommandContext) -> HouseAccepted:
        return await self._change(house_id, command.expected_version, lambda h: h.correct(
            command.reason, command.property_nature, command.area, command.rooms), ctx)

    async def change_use(self, house_id: str, command: ChangeUse, ctx: CommandContext) -> HouseAccepted:
        return await self._change(house_id, command.expected_version,
                                  lambda h: h.change_use(command.use, command.reason), ctx)

    async def _party(self, house_id: str, field: str, party, ctx: CommandContext):
        """A party named on the house, checked through the replicas (404 / 403 on the house first, before telling
        anything of a person)."""
        await self.load(House, house_stream(house_id), house_id, None, ctx)
        return (await check_parties(self.persons, [(field, party)], self.units)).get(field, party)

    async def change_owner(self, house_id: str, command: ChangeOwner, ctx: CommandContext) -> HouseAccepted:
        owner = await self._party(house_id, "owner", command.owner, ctx)
        return await self._change(house_id, command.expected_version,
                                  lambda h: h.change_owner(owner, command.reason), ctx)

    async def set_key_status(self, house_id: str, command: SetKeyStatus, ctx: CommandContext) -> HouseAccepted:
        return await self._change(house_id, command.expected_version, lambda h: h.set_key_status(
            command.management_level, command.key_house, command.key_reason), ctx)

    async def start_rental(self, house_id: str, command: StartRental, ctx: CommandContext) -> HouseAccepted:
        rental_id = new_id("R")
        await self.load(House, house_stream(house_id), house_id, None, ctx)  # 404 / 403 before telling of a person
        parties = await check_parties(self.persons, [("lessor", command.lessor),
                                                     ("security_person", command.security_person)], self.units)
        terms = RentalTerms(**{name: parties.get(name, getattr(command, name))
                               for name in RentalTerms.__dataclass_fields__})
        return await self._change(house_id, command.expected_version,
                                  lambda h: h.start_rental(rental_id, terms, self.today()), ctx, rental_id=rental_id)

    async def add_tenant(self, house_id: str, rental_id: str, command: AddTenant, ctx: CommandContext) -> HouseAccepted:
        """The tenant must be a registered, active person (one from another jurisdiction is normal)."""
        await self.load(House, house_stream(house_id), house_id, None, ctx)  # 404 / 403 before telling of the person
        tenant = await self.persons(command.person_id, "person_id")
        return await self._change(house_id, command.expected_version, lambda h: h.move_in(
            rental_id, tenant.person_id, command.moved_in, self.today()), ctx, rental_id=rental_id)

    async def tenant_moves_out(self, house_id: str, rental_id: str, person_id: str, command: TenantMoveOut,
                               ctx: CommandContext) -> HouseAccepted:
        return await self._change(house_id, command.expected_version, lambda h: h.move_out(
            rental_id, person_id, command.moved_out, self.today()), ctx, rental_id=rental_id)

    async def end_rental(self, house_id: str, rental_id: str, command: EndRental, ctx: CommandContext) -> HouseAccepted:
        return await self._change(house_id, command.expected_version, lambda h: h.end_rental(
            rental_id, command.ended_on, self.today(), command.reason), ctx, rental_id=rental_id)

    async def record_check(self, house_id: str, command: RecordCheck, ctx: CommandContext) -> HouseAccepted:
        check_id = new_id("C")
        return await self._change(house_id, command.expected_version, lambda h: h.check(
            check_id, command.checked_on, command.checker or ctx.actor.id, command.anyone_home, self.today(),
            command.abnormal, command.abnormal_detail, command.remark), ctx, check_id=check_id)

    async def demolish(self, house_id: str, command: Demolish, ctx: CommandContext) -> HouseAccepted:
        return await self._change(house_id, command.expected_version,
                                  lambda h: h.demolish(command.on, command.reason, self.today()), ctx)

    # changes to a running rental -------------------------------------------------------------------------
    async def change_rental_terms(self, house_id: str, rental_id: str, command: ChangeRentalTerms,
                                  ctx: CommandContext) -> HouseAccepted:
        change = TermsChange(**command.model_dump(exclude={"expected_version"}))
        return await self._change(house_id, command.expected_version, lambda h: h.change_rental_terms(
            rental_id, change, self.today()), ctx, rental_id=rental_id)

    async def replace_lessor(self, house_id: str, rental_id: str, command: ReplaceLessor,
                             ctx: CommandContext) -> HouseAccepted:
        lessor = await self._party(house_id, "lessor", command.lessor, ctx)
        return await self._change(house_id, command.expected_version, lambda h: h.replace_lessor(
            rental_id, lessor, command.lessor_role, command.replaced_on, self.today(), command.reason), ctx,
            rental_id=rental_id)

    async def replace_security_person(self, house_id: str, rental_id: str, command: ReplaceSecurityPerson,
                                      ctx: CommandContext) -> HouseAccepted:
        person = await self._party(house_id, "security_person", command.security_person, ctx)
        return await self._change(house_id, command.expected_version, lambda h: h.replace_security_person(
            rental_id, person, command.replaced_on, self.today(), command.responsibility_letter_signed,
            command.reason), ctx, rental_id=rental_id)

    # 管理等级/重点房屋 by request and approval ---------------------------------------------------------------
    async def request_key_status(self, house_id: str, command: RequestKeyStatus, ctx: CommandContext) -> HouseAccepted:
        request_id = new_id("KS")
        return await self._change(house_id, command.expected_version, lambda h: h.request_key_status(
            request_id, command.management_level, command.key_house, command.key_reason, command.reason,
            ctx.actor.id, self.today()), ctx, request_id=request_id)

    async def approve_key_status(self, house_id: str, request_id: str, command: DecideKeyStatus,
                                 ctx: CommandContext) -> HouseAccepted:
        return await self._change(house_id, command.expected_version, lambda h: h.approve_key_status(
            request_id, command.remark, ctx.actor.id, self.today()), ctx, request_id=request_id)

    async def reject_key_status(self, house_id: str, request_id: str, command: DecideKeyStatus,
                                ctx: CommandContext) -> HouseAccepted:
        return await self._change(house_id, command.expected_version, lambda h: h.reject_key_status(
            request_id, command.remark, ctx.actor.id, self.today()), ctx, request_id=request_id)
