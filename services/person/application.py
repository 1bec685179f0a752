"""Application service of the person registry (实有人口): load, check set-wide rules, decide, append.

One person, one record: the normalised document number is a uniqueness claim (a second registration answers
409 naming the existing person). Addresses are checked against the service's own replica of the address
registry (``addresses`` port), never by calling the address service. The clock is a port too, so tests set it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timezone
from functools import partial
from typing import Awaitable, Callable, Sequence


from contracts import divisions
from contracts.calendar import local_date
from contracts.identity import DocumentType, Identity, guess_number
from contracts.person import KeyPersonListingApplied, LogicError, PersonRegistered
from contracts.person_codes import ethnicity_code
from contracts.phone import PhoneError, normalize_phone
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.application import Accepted, Application
from services.kernel.eventsourcing.bulk import change_many
from services.kernel.eventsourcing.claims import PENDING
from services.kernel.eventsourcing.ids import new_id
from services.kernel.base.errors import DomainRuleViolation, StateConflict
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort
from services.replicas.address import ReplicaAddress
from services.person.commands import (
    ApplyKeyPersonListing, ApplyKeyPersonRelease, CancelPerson, ChangeAccommodation, ChangeCategory,
    ChangeResidenceDetails, ChangeStay,
    CorrectPerson, Decide,
    IssueResidencePermit, MergePerson, MoveIn, MoveOut, PersonFields, RegisterHousehold, RenewMigrantRegistration,
    RequestKeyPersonRecategorization, RequestKeyPersonTransfer, SettleMigrant, split_registration,
)
from services.person.domain.categories import check_details
from services.person.domain.identity import checked_identity
from services.person.domain.key_person import KeyPerson, key_person_stream
from services.person.domain.person import Person, person_stream

AddressLookup = Callable[[str], Awaitable[ReplicaAddress]]
Clock = Callable[[], datetime]


class PersonAccepted(Accepted):
    person_id: str


class KeyPersonAccepted(Accepted):
    key_person_id: str
    state: str


def document_claim(key: str) -> str:
    return f"person-document:{key}"


def _identity_key(fields: dict) -> str:
    return Identity(DocumentType(fields["document_type"]), fields["document_number"],
                    nationality=fields.get("nationality")).key


class HeldBy(Exception):
    """The document claim is held by ``owner`` (turned into the caller's 409 by ``PersonService._duplicate``)."""

    def __init__(self, owner: str) -> None:
        super().__init__(owner)
        self.owner = owner


def county_of(division_code: str | None) -> str:
    """The county-level division (区县) of a record, named: never finer, so nothing locates the person."""
    if not division_code:
        return "another division"
    county = division_code[:6]
    try:
        return f"{county} {divisions.full_name(county)}"
    except KeyError:
        return county


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


class PersonService(Application):
    def __init__(self, store: EventStorePort, claims: ClaimsPort, addresses: AddressLookup,
                 clock: Clock = lambda: datetime.now(timezone.utc)) -> None:
        super().__init__(store, claims)
        self.addresses = addresses
        self.clock = clock

    def today(self) -> date:
        return local_date(self.clock())

    # registration ------------------------------------------------------------------------------------
    async def register(self, command: PersonFields, ctx: CommandContext) -> PersonAccepted:
        event, key, legacy = self._decide_registration(command, ctx)
        return await self._register_decided(event, key, legacy, ctx)

    def _decide_registration(self, command: PersonFields, ctx: CommandContext) -> tuple[PersonRegistered, str, bool]:
        """Every rule a registration must pass before any I/O: the event, its document claim, legacy or not."""
        base, details = split_registration(command)
        today, now = self.today(), self.clock()
        if not base["name"].strip():
            raise DomainRuleViolation("name", "required", "name must not be empty", "姓名不能为空")
        # a foreigner's passport is issued by their nationality unless the body says otherwise
        base["nationality"] = base["nationality"] or getattr(details, "nationality", None)
        identity, logic_errors = checked_identity(base["document_type"], base["document_number"], base["nationality"],
                                                  base["sex"], base["birth_date"], today, base["legacy_import"])
        details = check_details(details, today, now)
        division_code = self._division(base["division_code"] or ctx.actor.organisation_code, "division_code")
        ctx.require_within(division_code)
        person_id = new_id("P", "-")
        event = PersonRegistered(
            person_id=person_id, document_type=identity.document_type, document_number=identity.number,
            legacy_number=identity.legacy_number, nationality=identity.nationality or base["nationality"],
            name=base["name"].strip(), former_names=base["former_names"], sex=base["sex"],
            birth_date=base["birth_date"], ethnicity=self._ethnicity(base["ethnicity"]),
            phone=self._phone(base["phone"]), household_registration=self._household(base["household_registration"]),
            education=base["education"], marital_status=base["marital_status"], occupation=base["occupation"],
            employer=base["employer"], photo_ref=base["photo_ref"], category=details.category, details=details,
            legacy_import=base["legacy_import"], logic_errors=logic_errors, division_code=division_code)
        return event, document_claim(identity.key), base["legacy_import"]

    async def _register_decided(self, event: PersonRegistered, key: str, legacy: bool,
                                ctx: CommandContext) -> PersonAccepted:
        today, person_id, logic_errors = self.today(), event.person_id, event.logic_errors

        async def register() -> Person:
            return await self.save(Person.register(event, today), ctx)

        if legacy:
            holder = await self.settled_owner(key)
            if holder is not None:  # kept for a later merge, reported as a duplicate entry (重复录入)
                duplicate = await self._duplicate(holder, ctx)
                event = event.model_copy(update={"logic_errors": [*logic_errors, LogicError(
                    field="document_number", rule="person.duplicate", message=duplicate.message)]})
                person = await register()
                return PersonAccepted(person_id=person_id, stream_id=person.id, version=person.version)
        try:
            person = await self.register_claimed(key, register, lambda p: p.person_id, HeldBy)
        except HeldBy as held:
            raise await self._duplicate(held.owner, ctx) from None
        return PersonAccepted(person_id=person_id, stream_id=person.id, version=person.version)

    async def register_many(self, commands: Sequence[tuple[PersonFields, CommandContext]]
                            ) -> list[PersonAccepted | Exception]:
        """批量登记 (an initial load): each command answered as ``register`` would answer it alone — the same rules,
        the same event, the same refusal — with the document claims taken, the events appended and the claims
        handed over in one round trip each for the whole batch. A refusal is returned in its command's place;
        a failure of the store raises (no claim of the batch is kept). A legacy import, a number twice in the
        batch and a number another request is registering right now are registered one by one after the rest."""
        results: list[PersonAccepted | Exception | None] = [None] * len(commands)
        decided: dict[int, tuple[PersonRegistered, str]] = {}
        alone: list[int] = []
        keys: set[str] = set()
        for index, (command, ctx) in enumerate(commands):
            if index % 50 == 49:
                await asyncio.sleep(0)  # deciding is CPU work: let heartbeats and other partitions run between
            try:
                event, key, legacy = self._decide_registration(command, ctx)
            except Exception as refusal:  # noqa: BLE001 - each command's own answer, as register would raise it
                results[index] = refusal
                continue
            if legacy or key in keys:
                alone.append(index)
            else:
                decided[index] = (event, key)
                keys.add(key)
        token = f"{PENDING}{uuid.uuid4()}"
        holders = await self.claims.take_many([key for _, key in decided.values()], token)
        won: list[int] = []
        for index, (_, key) in decided.items():
            holder = holders[key]
            if holder == token:
                won.append(index)
            elif holder.startswith(PENDING):
                alone.append(index)  # someone is registering it now: wait it out as register does
            else:
                results[index] = await self._duplicate(holder, commands[index][1])
        today = self.today()
        try:
            saved = await self.save_many([(Person.register(decided[index][0], today), commands[index][1])
                                          for index in won])
        except BaseException:
            await self.claims.release_many([decided[index][1] for index in won], token)
            raise
        handed, refused = [], []
        for index, person in zip(won, saved):
            key = decided[index][1]
            if isinstance(person, Exception):
                results[index] = person
                refused.append(key)
            else:
                results[index] = PersonAccepted(person_id=person.person_id, stream_id=person.id, version=person.version)
                handed.append((key, person.person_id))
        await self.claims.rekey_many(handed, token)
        await self.claims.release_many(refused, token)
        for index in sorted(alone):
            try:
                results[index] = await self.register(*commands[index])
            except Exception as refusal:  # noqa: BLE001 - its own answer, or a failure the caller judges
                results[index] = refusal
        return results  # type: ignore[return-value]

    async def _duplicate(self, owner: str, ctx: CommandContext) -> StateConflict:
        """409 for a number already registered: inside the caller's jurisdiction it names the person; outside it
        names only the county-level division holding the record and how to ask for a transfer (协查), never
        the id (the key to the other jurisdiction's record)."""
        holder = await self.find(Person, person_stream(owner))
        division = holder.division_code if holder is not None else None
        if division is not None and ctx.within(division):
            return StateConflict("person.duplicate", f"this document is already registered as person {owner}",
                                 f"该证件已登记，人员编号 {owner}")
        county = county_of(division)
        return StateConflict(
            "person.registered_elsewhere",
            f"this document number is already registered outside your jurisdiction, in {county}; ask that "
            "jurisdiction's police station for an assisted check (协查) to have the record transferred",
            f"该证件号码已在您辖区外（{county}）登记，请通过协查向该辖区派出所申请转递")

    @staticmethod
    def _division(code: str, field: str) -> str:
        division = divisions.get(code) if code else None
        if division is None or len(division.code) not in (6, 9):
            raise DomainRuleViolation(field, "division.unknown", f"{code!r} is not a county or township code",
                                      f"{code} 不是县级或乡级行政区划代码")
        if not divisions.is_current(division.code):
            raise DomainRuleViolation(field, "division.retired", f"division {division.code} is no longer in use",
                                      f"行政区划 {division.code} 已撤销")
        return division.code

    @staticmethod
    def _ethnicity(value: str | None) -> str | None:
        if value is None:
            return None
        code = ethnicity_code(value)
        if code is None:
            raise DomainRuleViolation("ethnicity", "ethnicity.unknown", f"{value!r} is not a GB 3304 ethnicity",
                                      f"{value} 不是 GB 3304 民族代码或名称")
        return code

    @staticmethod
    def _phone(value: str | None, field: str = "phone") -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return normalize_phone(value)
        except PhoneError:
            raise DomainRuleViolation(field, "phone.invalid", f"{value!r} is not a valid phone number",
                                      f"{value} 不是有效的电话号码") from None

    def _household(self, value: dict | None) -> dict | None:
        if value is None:
            return None
        division = divisions.get(value["division_code"])
        if division is None:
            raise DomainRuleViolation("household_registration.division_code", "division.unknown",
                                      f"{value['division_code']!r} is not a division code", "户籍地行政区划代码不存在")
        return {**value, "division_code": division.code}

    # changes -----------------------------------------------------------------------------------------
    async def _change(self, person_id: str, expected_version: int | None, action, ctx: CommandContext) -> PersonAccepted:
        person = await self.change(Person, person_stream(person_id), person_id, expected_version, action, ctx)
        return PersonAccepted(person_id=person_id, stream_id=person.id, version=person.version)

    async def change_category(self, person_id: str, command: ChangeCategory, ctx: CommandContext) -> PersonAccepted:
        details = check_details(command.details, self.today(), self.clock())
        today = self.today()
        return await self._change(person_id, command.expected_version,
                                  lambda p: p.change_category(details, command.reason, today), ctx)

    async def correct(self, person_id: str, command: CorrectPerson, ctx: CommandContext) -> PersonAccepted:
        changes = dict(command.changes)
        if "phone" in changes:
            changes["phone"] = self._phone(changes["phone"])
        if "ethnicity" in changes:
            changes["ethnicity"] = self._ethnicity(changes["ethnicity"])
        if "name" in changes and not str(changes["name"] or "").strip():
            raise DomainRuleViolation("name", "required", "name must not be empty", "姓名不能为空")
        if "legacy_number" in changes:
            raise DomainRuleViolation("legacy_number", "correction.not_correctable",
                                      "the legacy number follows the corrected document_number", "旧号码随证件号码更正")
        person = await self.load(Person, person_stream(person_id), person_id, command.expected_version, ctx)
        fields = {**person.fields, **changes}
        old_key = new_key = None
        if "document_number" in changes:
            identity, _ = checked_identity(fields["document_type"], str(changes["document_number"]),
                                           fields.get("nationality"), fields["sex"], _day(fields["birth_date"]),
                                           self.today())
            changes.update(document_number=identity.number, legacy_number=identity.legacy_number)
            old_key = document_claim(_identity_key(person.fields))
            new_key = document_claim(identity.key)
        else:
            for field in ("sex", "birth_date"):
                if field in changes:
                    self._check_against_document(fields, field, changes[field])

        async def write() -> PersonAccepted:
            return await self._change(person_id, command.expected_version,
                                      lambda p: p.correct(changes, command.reason_code, command.remark), ctx)

        if new_key is None:
            return await write()
        return await self.move_key(old_key, new_key, person_id, write, self._duplicate)

    @staticmethod
    def _check_against_document(fields: dict, field: str, value) -> None:
        identity = guess_number(fields.get("document_number", ""))
        told = None if identity is None else (identity.sex if field == "sex" else str(identity.birth_date))
        if told is not None and str(value) != told:
            raise DomainRuleViolation(field, f"{field}.contradicts_document", f"{field} {value} contradicts the "
                                      f"document number", "更正内容与证件号码不符")

    async def move_in(self, person_id: str, command: MoveIn, ctx: CommandContext) -> PersonAccepted:
        person = await self.save(await self._moved_in(person_id, command, ctx), ctx)
        return PersonAccepted(person_id=person_id, stream_id=person.id, version=person.version)

    async def move_in_many(self, commands: Sequence[tuple[str, MoveIn, CommandContext]]
                           ) -> list[PersonAccepted | Exception]:
        """批量登记居住地 (an initial load): each (person id, command, ctx) answered as ``move_in`` answers it alone —
        the same address port, the same rules, the same event — decided many at a time and appended together."""
        outcomes = await change_many(self, [(person_stream(person_id), partial(self._moved_in, person_id, command, ctx),
                                             ctx) for person_id, command, ctx in commands])
        return [outcome if isinstance(outcome, Exception) else
                PersonAccepted(person_id=outcome.person_id, stream_id=outcome.id, version=outcome.version)
                for outcome in outcomes]

    async def _moved_in(self, person_id: str, command: MoveIn, ctx: CommandContext) -> Person:
        """入住 decided, not yet stored: the address as this service's replica knows it, the person's own rules."""
        address = await self.addresses(command.address_code)
        today = self.today()
        person = await self.load(Person, person_stream(person_id), person_id, command.expected_version, ctx)
        person.move_in(
            address.code, command.moved_in, command.reason, today,
            requested_code=command.address_code if address.code != command.address_code else None,
            address_name=address.full_name, division_code=address.division_code,
            residence_type=command.residence_type, owner_name=command.owner_name, lessor_name=command.lessor_name)
        return person

    async def move_out(self, person_id: str, command: MoveOut, ctx: CommandContext) -> PersonAccepted:
        today = self.today()
        return await self._change(person_id, command.expected_version,
                                  lambda p: p.move_out(command.moved_out, command.reason, today), ctx)

    async def change_residence_details(self, person_id: str, command: ChangeResidenceDetails,
                                       ctx: CommandContext) -> PersonAccepted:
        """居住事由 / 居住类型 / 房主变更; a host named must be a registered, active person (422 on host_person_id)."""
        if command.host_person_id is not None and command.host_person_id != person_id:
            await self._require_host(command.host_person_id)
        today = self.today()
        return await self._change(person_id, command.expected_version, lambda p: p.change_residence_details(
            command.changed_on, today, residence_reason=command.residence_reason,
            residence_type=command.residence_type, host_person_id=command.host_person_id), ctx)

    async def _require_host(self, host_person_id: str) -> None:
        host = await self.find(Person, person_stream(host_person_id))
        if host is None:
            raise DomainRuleViolation("host_person_id", "person.unknown", f"no person {host_person_id} is registered",
                                      "房主或寄住户主不存在")
        if host.status != "active":
            raise DomainRuleViolation("host_person_id", f"person.{host.status}", f"person {host_person_id} is "
                                      f"{host.status}", "房主或寄住户主不是有效状态")

    async def renew(self, person_id: str, command: RenewMigrantRegistration, ctx: CommandContext) -> PersonAccepted:
        today = self.today()
        return await self._change(person_id, command.expected_version,
                                  lambda p: p.renew_migrant_registration(command.valid_until, today), ctx)

    async def issue_residence_permit(self, person_id: str, command: IssueResidencePermit,
                                     ctx: CommandContext) -> PersonAccepted:
        today = self.today()
        return await self._change(person_id, command.expected_version, lambda p: p.issue_residence_permit(
            command.permit_number.strip(), command.issued_on, command.expires_on, today), ctx)

    async def change_stay(self, person_id: str, command: ChangeStay, ctx: CommandContext) -> PersonAccepted:
        return await self._change(person_id, command.expected_version, lambda p: p.change_stay(
            command.permitted_stay_until, command.visa_type, command.visa_number), ctx)

    async def change_accommodation(self, person_id: str, command: ChangeAccommodation,
                                   ctx: CommandContext) -> PersonAccepted:
        """境外人员住宿变更: the new address checked through the address replica as at 入住."""
        address = await self.addresses(command.address_code)
        return await self._change(person_id, command.expected_version, lambda p: p.change_accommodation(
            command.accommodation, address.code, command.arrived_at, self.clock(),
            requested_code=command.address_code if address.code != command.address_code else None,
            address_name=address.full_name, division_code=address.division_code, host_unit=command.host_unit,
            reason=command.reason), ctx)

    async def settle(self, person_id: str, command: SettleMigrant, ctx: CommandContext) -> PersonAccepted:
        today = self.today()
        return await self._change(person_id, command.expected_version, lambda p: p.settle(
            command.settled_on, command.household_number.strip(), command.relation_to_head.strip(),
            command.lives_at_registered_address, command.reason, today), ctx)

    async def register_household(self, person_id: str, command: RegisterHousehold,
                                 ctx: CommandContext) -> PersonAccepted:
        today = self.today()
        return await self._change(person_id, command.expected_version, lambda p: p.register_household(
            command.registered_on, command.household_number.strip(), command.relation_to_head.strip(),
            command.lives_at_registered_address, command.reason, today), ctx)

    async def cancel(self, person_id: str, command: CancelPerson, ctx: CommandContext) -> PersonAccepted:
        today = self.today()
        return await self._change(person_id, command.expected_version, lambda p: p.cancel(
            command.reason, command.cancelled_on, command.remark, today), ctx)

    async def merge(self, person_id: str, command: MergePerson, ctx: CommandContext) -> PersonAccepted:
        """重复人员合并 of a legacy duplicate: both records must carry the same document number."""
        duplicate = await self.load(Person, person_stream(person_id), person_id, command.expected_version, ctx)
        survivor = await self.load(Person, person_stream(command.survivor_id), command.survivor_id, None, ctx)
        if duplicate.redirect_to != command.survivor_id:
            if survivor.status != "active":
                raise StateConflict(f"person.{survivor.status}", f"survivor {command.survivor_id} is {survivor.status}",
                                    "保留记录不是有效状态")
            same = (duplicate.fields.get("document_number"), duplicate.fields.get("document_type")) == \
                   (survivor.fields.get("document_number"), survivor.fields.get("document_type"))
            if not same:
                raise DomainRuleViolation("survivor_id", "merge.different_document",
                                          "only records with the same document number are merged", "证件号码不同，不能合并")
        duplicate.merge_into(command.survivor_id, command.reason)
        await self.save(duplicate, ctx)
        survivor.absorb(person_id)
        await self.save(survivor, ctx)
        key = document_claim(_identity_key(duplicate.fields))
        await self.claims.rekey(key, person_id, command.survivor_id)  # the survivor answers for the number now
        return PersonAccepted(person_id=person_id, stream_id=duplicate.id, version=duplicate.version)

    # key persons -------------------------------------------------------------------------------------
    async def apply_key_person_listing(self, command: ApplyKeyPersonListing, ctx: CommandContext) -> KeyPersonAccepted:
        person = await self.load(Person, person_stream(command.person_id), command.person_id, None, ctx)
        if person.status != "active":
            raise StateConflict(f"person.{person.status}", f"person {command.person_id} is {person.status}",
                                "该人员记录不是有效状态")
        key_person = KeyPerson.apply_for_listing(KeyPersonListingApplied(
            key_person_id=new_id("K", "-"), division_code=person.division_code, **command.model_dump()))
        await self.save(key_person, ctx)
        return self._key_accepted(key_person)

    @staticmethod
    def _key_accepted(key_person: KeyPerson) -> KeyPersonAccepted:
        return KeyPersonAccepted(key_person_id=key_person.key_person_id, stream_id=key_person.id,
                                 version=key_person.version, state=key_person.state)

    async def _key_change(self, key_person_id: str, expected_version: int | None, action, ctx) -> KeyPersonAccepted:
        key_person = await self.change(KeyPerson, key_person_stream(key_person_id), key_person_id, expected_version,
                                       action, ctx)
        return self._key_accepted(key_person)

    async def approve_key_person(self, key_person_id: str, command: Decide, ctx: CommandContext) -> KeyPersonAccepted:
        return await self._key_change(key_person_id, command.expected_version, lambda k: k.approve(command.remark), ctx)

    async def reject_key_person(self, key_person_id: str, command: Decide, ctx: CommandContext) -> KeyPersonAccepted:
        return await self._key_change(key_person_id, command.expected_version, lambda k: k.reject(command.remark), ctx)

    async def apply_key_person_release(self, key_person_id: str, command: ApplyKeyPersonRelease,
                                       ctx: CommandContext) -> KeyPersonAccepted:
        return await self._key_change(key_person_id, command.expected_version,
                                      lambda k: k.apply_for_release(command.reason), ctx)

    async def request_key_person_transfer(self, key_person_id: str, command: RequestKeyPersonTransfer,
                                          ctx: CommandContext) -> KeyPersonAccepted:
        to_division = self._division(command.to_division_code, "to_division_code")
        return await self._key_change(key_person_id, command.expected_version, lambda k: k.request_transfer(
            to_division, command.to_unit, command.to_officer, command.reason), ctx)

    async def request_key_person_recategorization(self, key_person_id: str, command: RequestKeyPersonRecategorization,
                                                  ctx: CommandContext) -> KeyPersonAccepted:
        return await self._key_change(key_person_id, command.expected_version, lambda k: k.request_recategorization(
            command.to_category_code, command.reason), ctx)
