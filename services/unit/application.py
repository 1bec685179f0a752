"""Application service of the unit registry: the kernel's load-decide-append plus this context's own rules.

One unit per USCC is a write-side claim (``unit-uscc:<code>``); a unit without a USCC claims nothing. The
address comes from the service's own replica of the address registry, through a port (fakes in unit tests).
"""

from __future__ import annotations

from datetime import date
from functools import partialmethod
from typing import Callable, Sequence

from pydantic import Field

from contracts.calendar import china_today
from contracts.parties import PartyRef
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.application import Accepted, Application
from services.kernel.eventsourcing.bulk import Claimed, register_many
from services.kernel.base.errors import StateConflict
from services.kernel.eventsourcing.ids import new_id
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort
from services.replicas.address import AddressPort
from services.replicas.links import PersonPort, check_parties
from services.unit.commands import (
    AddLicence, AddSpecialTrade, ChangeLegalRepresentative, ChangeStatus, CorrectUnit, DecideKeyListing, FollowUp,
    Hire, Inspect, Leave, RecordUscc, RegisterUnit, ReleaseKeyListing, Relocate, RemoveSpecialTrade, RenameUnit,
    RequestKeyLocation, RequestKeyUnit,
)
from services.unit.domain.unit import Unit, UnitIdentity, unit_stream


class UnitAccepted(Accepted):
    """A unit command's answer: the unit, its stream and new version, and warnings kept on record."""

    unit_id: str = Field(examples=["U0192f1a2b3c47d5e8f9a0b1c2d3e4f5a6"])
    inspection_id: str | None = None
    location_id: str | None = Field(default=None, description="重点部位编号 (a key-location request or decision)")
    address_code: str | None = Field(default=None, description="the address registered at (a merged code's survivor)")
    warnings: list[str] = Field(default_factory=list, description="accepted, but worth a look (no USCC, the "
                                "embedded organisation code's check ...)")


def uscc_claim(code: str) -> str:
    return f"unit-uscc:{code}"


def duplicate_unit(code: str) -> Callable[[str], StateConflict]:
    return lambda holder: StateConflict("unit.duplicate", f"USCC {code} is already registered as unit {holder}",
                                        f"统一社会信用代码 {code} 已登记为单位 {holder}")


class UnitService(Application):
    def __init__(self, store: EventStorePort, claims: ClaimsPort, addresses: AddressPort, persons: PersonPort,
                 today: Callable[[], date] = china_today) -> None:
        super().__init__(store, claims)
        self.addresses = addresses
        self.persons = persons  #: the person replica: a linked person must exist and not be cancelled
        self.today = today

    @staticmethod
    def accepted(unit: Unit, **extra) -> UnitAccepted:
        return UnitAccepted(unit_id=unit.unit_id, stream_id=unit.id, version=unit.version, warnings=unit.warnings,
                            **extra)

    async def register(self, command: RegisterUnit, ctx: CommandContext) -> UnitAccepted:
        claimed, code = await self._decide_registration(command, ctx)
        unit = claimed.build()
        if claimed.key is None:
            await self.save(unit, ctx)
        else:
            unit = await self.register_claimed(claimed.key, lambda: self.save(unit, ctx), lambda u: u.unit_id,
                                               claimed.duplicate)
        return self.accepted(unit, address_code=code)

    async def _decide_registration(self, command: RegisterUnit, ctx: CommandContext) -> tuple[Claimed[Unit], str]:
        """Every check of a registration (the address, the jurisdiction, the persons, the codes: a bad code is
        refused before claiming) and the USCC it claims, if any."""
        address = await self.addresses(command.address_code, "address_code")
        ctx.require_within(address.division_code)
        fields = command.model_dump(exclude={"address_code"})
        fields.update(legal_representative=command.legal_representative, security_person=command.security_person,
                      licences=command.licences)
        fields.update(await check_parties(self.persons, [("legal_representative", command.legal_representative),
                                                         ("security_person", command.security_person)]))
        identity = UnitIdentity(**fields, address_code=address.code, address_name=address.full_name,
                                division_code=address.division_code or "")
        unit = Unit.register(new_id("U"), identity, self.today())  # refuses bad codes before claiming
        uscc = unit.state["uscc"]
        if uscc is None:
            return Claimed(None, lambda: unit, ctx), address.code
        return Claimed(uscc_claim(uscc), lambda: unit, ctx, duplicate_unit(uscc)), address.code

    async def register_many(self, commands: Sequence[tuple[RegisterUnit, CommandContext]]
                            ) -> list[UnitAccepted | Exception]:
        """批量登记 (an initial load): each command answered as ``register`` would answer it alone, the USCC
        claims taken, the units appended and the claims handed over in one round trip each for the set."""
        return await register_many(self, commands, self._decide_registration, lambda unit: unit.unit_id,
                                   lambda unit, code: self.accepted(unit, address_code=code), self.register)

    async def _change(self, unit_id: str, expected_version: int | None, action, ctx: CommandContext,
                      **extra) -> UnitAccepted:
        unit = await self.change(Unit, unit_stream(unit_id), unit_id, expected_version, action, ctx)
        return self.accepted(unit, **extra)

    async def correct(self, unit_id: str, command: CorrectUnit, ctx: CommandContext) -> UnitAccepted:
        changes = {name: getattr(command, name) for name in command.model_fields_set - {"reason", "expected_version"}}
        await self.load(Unit, unit_stream(unit_id), unit_id, None, ctx)  # 404 / 403 before telling of a person
        changes.update(await check_parties(self.persons, [(name, changes.get(name)) for name in (
            "legal_representative", "security_person") if isinstance(changes.get(name), PartyRef)]))
        return await self._change(unit_id, command.expected_version, lambda u: u.correct(command.reason, **changes),
                                  ctx)

    async def record_uscc(self, unit_id: str, command: RecordUscc, ctx: CommandContext) -> UnitAccepted:
        """The new code is claimed before the write and the old one released after it (one unit per USCC)."""
        unit = await self.load(Unit, unit_stream(unit_id), unit_id, command.expected_version, ctx)
        unit.record_uscc(command.uscc, command.reason)  # refuses a bad code before any claim
        new, old = unit.state["uscc"], unit.pending[-1].previous

        async def write() -> Unit:
            return await self.save(unit, ctx)

        await self.move_key(uscc_claim(old) if old else None, uscc_claim(new), unit_id, write, duplicate_unit(new))
        return self.accepted(unit)

    async def suspend(self, unit_id: str, command: ChangeStatus, ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version,
                                  lambda u: u.suspend(command.on, self.today(), command.reason), ctx)

    async def close(self, unit_id: str, command: ChangeStatus, ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version,
                                  lambda u: u.close(command.on, self.today(), command.reason), ctx)

    async def reopen(self, unit_id: str, command: ChangeStatus, ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version,
                                  lambda u: u.reopen(command.on, self.today(), command.reason), ctx)

    async def add_licence(self, unit_id: str, command: AddLicence, ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version, lambda u: u.add_licence(command.licence), ctx)

    async def add_special_trade(self, unit_id: str, command: AddSpecialTrade, ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version, lambda u: u.add_special_trade(
            command.trade, command.since, self.today(), command.licence), ctx)

    async def remove_special_trade(self, unit_id: str, trade: str, command: RemoveSpecialTrade,
                                   ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version, lambda u: u.remove_special_trade(
            trade, command.on, self.today(), command.reason), ctx)

    async def hire(self, unit_id: str, command: Hire, ctx: CommandContext) -> UnitAccepted:
        """The employee must be a registered, active person (one registered in another county is normal)."""
        await self.load(Unit, unit_stream(unit_id), unit_id, None, ctx)  # 404 / 403 before telling of the person
        employee = await self.persons(command.person_id, "person_id")
        return await self._change(unit_id, command.expected_version, lambda u: u.hire(
            employee.person_id, command.position, command.hired, self.today()), ctx)

    async def leave(self, unit_id: str, person_id: str, command: Leave, ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version,
                                  lambda u: u.leave(person_id, command.left, self.today()), ctx)

    async def inspect(self, unit_id: str, command: Inspect, ctx: CommandContext) -> UnitAccepted:
        inspection_id = new_id("I")
        return await self._change(unit_id, command.expected_version, lambda u: u.inspect(
            inspection_id, command.inspected_on, command.inspectors or [ctx.actor.id], self.today(), command.findings,
            command.rectification_required, command.rectification_notice, command.rectification_deadline),
            ctx, inspection_id=inspection_id)

    async def follow_up(self, unit_id: str, inspection_id: str, command: FollowUp, ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version, lambda u: u.follow_up(
            inspection_id, command.followed_up_on, command.inspector or ctx.actor.id, command.rectified, self.today(),
            command.result), ctx, inspection_id=inspection_id)

    async def relocate(self, unit_id: str, command: Relocate, ctx: CommandContext) -> UnitAccepted:
        """迁址: the caller writes the unit where it is (load) and where it goes (as at registration)."""
        await self.load(Unit, unit_stream(unit_id), unit_id, None, ctx)  # 404 / 403 before telling of the address
        address = await self.addresses(command.address_code, "address_code")
        ctx.require_within(address.division_code)
        return await self._change(unit_id, command.expected_version, lambda u: u.relocate(
            address.code, address.full_name, address.division_code or "", command.moved_on, self.today()), ctx,
            address_code=address.code)

    async def rename(self, unit_id: str, command: RenameUnit, ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version, lambda u: u.rename(
            command.name, command.renamed_on, self.today(), command.reason), ctx)

    async def change_legal_representative(self, unit_id: str, command: ChangeLegalRepresentative,
                                          ctx: CommandContext) -> UnitAccepted:
        """A representative named by person_id must be a registered, active person (a merged one's survivor)."""
        await self.load(Unit, unit_stream(unit_id), unit_id, None, ctx)  # 404 / 403 before telling of a person
        linked = await check_parties(self.persons, [("legal_representative", command.legal_representative)])
        representative = linked.get("legal_representative", command.legal_representative)
        return await self._change(unit_id, command.expected_version, lambda u: u.change_legal_representative(
            representative, command.changed_on, self.today(), command.reason), ctx)

    # 重点单位/重点部位 列管: police request, a supervisor of the unit's jurisdiction decides ------------------------
    async def request_key_unit(self, unit_id: str, command: RequestKeyUnit, ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version, lambda u: u.request_key_unit(
            command.reason, ctx.actor.id, self.today()), ctx)

    async def request_key_unit_release(self, unit_id: str, command: ReleaseKeyListing,
                                       ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version, lambda u: u.request_key_unit_release(
            command.reason, ctx.actor.id, self.today()), ctx)

    async def _decide_key_unit(self, approve: bool, unit_id: str, command: DecideKeyListing,
                               ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version, lambda u: u.decide_key_unit(
            approve, ctx.actor.id, self.today(), command.remark), ctx)

    approve_key_unit = partialmethod(_decide_key_unit, True)
    reject_key_unit = partialmethod(_decide_key_unit, False)

    async def request_key_location(self, unit_id: str, command: RequestKeyLocation,
                                   ctx: CommandContext) -> UnitAccepted:
        location_id = new_id("KL")
        return await self._change(unit_id, command.expected_version, lambda u: u.request_key_location(
            location_id, command.name, command.reason, ctx.actor.id, self.today(), command.description), ctx,
            location_id=location_id)

    async def request_key_location_release(self, unit_id: str, location_id: str, command: ReleaseKeyListing,
                                           ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version, lambda u: u.request_key_location_release(
            location_id, command.reason, ctx.actor.id, self.today()), ctx, location_id=location_id)

    async def _decide_key_location(self, approve: bool, unit_id: str, location_id: str, command: DecideKeyListing,
                                   ctx: CommandContext) -> UnitAccepted:
        return await self._change(unit_id, command.expected_version, lambda u: u.decide_key_location(
            location_id, approve, ctx.actor.id, self.today(), command.remark), ctx, location_id=location_id)

    approve_key_location = partialmethod(_decide_key_location, True)
    reject_key_location = partialmethod(_decide_key_location, False)
