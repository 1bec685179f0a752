"""The person (实有人口) aggregate: one stream per person, ``person-<person_id>``. Pure: no I/O.

State changes only by RecordAggregate's fold, for commands and replays alike, by the person record's one
transition per event (contracts.person_record): the aggregate holds the record every reader folds. A change of
category is an event (a migrant who settles becomes 常住), not an edit; corrections keep the old value; a
cancelled or merged record refuses further changes (409 naming its status).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from pydantic import TypeAdapter

from contracts.person import (
    Category, CategoryDetails, CancellationReason, DuplicatePersonAbsorbed, HouseholdRegistered, MigrantDetails,
    MigrantRegistrationRenewed, MigrantSettled, PersonCancelled, PersonCategoryChanged, PersonCorrected, PersonMergedInto, PersonRegistered,
    ResidenceDetailsChanged, ResidenceEnded, ResidencePermitIssued, ResidenceRegistered, StayPermitChanged,
    Accommodation, ForeignerAccommodationChanged,
)
from contracts.calendar import local_date
from contracts.person_record import open_residence
from services.kernel.eventsourcing.aggregate import RecordAggregate
from services.kernel.base.errors import DomainRuleViolation, StateConflict, not_after

#: 暂住登记 is valid this long unless the registration says otherwise; renewal extends it.
MIGRANT_REGISTRATION_TERM = timedelta(days=365)

#: base fields a correction (更正) may change; a document number is corrected within its document type (the
#: application service validates it and moves the uniqueness claim)
CORRECTABLE = ("name", "former_names", "sex", "birth_date", "ethnicity", "phone", "household_registration",
               "education", "marital_status", "occupation", "employer", "photo_ref", "document_number",
               "legacy_number")

STATUS_ZH = {"active": "有效", "cancelled": "已注销", "merged": "已合并"}
DETAILS: TypeAdapter = TypeAdapter(CategoryDetails)


def person_stream(person_id: str) -> str:
    return f"person-{person_id}"


class Person(RecordAggregate):
    """The person record's one transition per event (contracts.person_record), as every reader folds it; the
    jurisdiction where the person lives owns the record (市内迁移 hands it over)."""

    stream_type = "Person"
    events = (PersonRegistered, PersonCategoryChanged, PersonCorrected, ResidenceRegistered, ResidenceEnded,
              MigrantRegistrationRenewed, ResidencePermitIssued, StayPermitChanged, MigrantSettled,
              HouseholdRegistered, ResidenceDetailsChanged, PersonCancelled, PersonMergedInto, DuplicatePersonAbsorbed,
              ForeignerAccommodationChanged)

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.person_id = stream_id.removeprefix("person-")

    # commands ----------------------------------------------------------------------------------------
    @classmethod
    def register(cls, event: PersonRegistered, today: date) -> "Person":
        if isinstance(event.details, MigrantDetails) and event.details.registration_valid_until is None:
            event = event.model_copy(update={"details": event.details.model_copy(
                update={"registration_valid_until": today + MIGRANT_REGISTRATION_TERM})})
        person = cls(person_stream(event.person_id))
        person.record(event)
        return person

    def change_category(self, details, reason: str, today: date) -> None:
        self._require_active()
        if isinstance(details, MigrantDetails) and details.registration_valid_until is None:
            details = details.model_copy(update={"registration_valid_until": today + MIGRANT_REGISTRATION_TERM})
        if details.category == self.category:
            raise DomainRuleViolation("category", "category.unchanged", f"the person is already {self.category}",
                                      "业务类型未变化")
        self.record(PersonCategoryChanged(person_id=self.person_id, old_category=self.category,
                                          category=details.category, details=details, reason=reason))

    def correct(self, changes: dict[str, Any], reason_code: str, remark: str) -> None:
        self._require_active()
        unknown = [name for name in changes if name not in CORRECTABLE]
        if unknown:
            raise DomainRuleViolation(unknown[0], "correction.not_correctable",
                                      f"{unknown[0]} cannot be corrected here", f"{unknown[0]} 不可更正")
        changed = {name: value for name, value in changes.items() if self.fields.get(name) != value}
        if not changed:
            raise DomainRuleViolation("changes", "correction.unchanged", "nothing differs from the record",
                                      "更正内容与现记录相同")
        self.record(PersonCorrected(person_id=self.person_id, changes=changed,
                                    old_values={name: self.fields.get(name) for name in changed},
                                    reason_code=reason_code, remark=remark))

    def move_in(self, address_code: str, moved_in: date, reason: str, today: date, *, requested_code: str | None = None,
                address_name: str | None = None, division_code: str | None = None, residence_type: str | None = None,
                owner_name: str | None = None, lessor_name: str | None = None) -> None:
        """入住 / 市内迁移: a new residence from ``moved_in``; the current one (if any) ends that day."""
        self._require_active()
        if moved_in > today:
            raise DomainRuleViolation("moved_in", "date.future", f"moved_in {moved_in} is after today",
                                      "入住日期晚于今天")
        if self.birth_date and moved_in < self.birth_date:
            raise DomainRuleViolation("moved_in", "date.before_birth", "moved_in is before the birth date",
                                      "入住日期早于出生日期")
        current = self.current_residence
        if current is not None:
            if current["address_code"] == address_code:
                raise DomainRuleViolation("address_code", "residence.unchanged",
                                          "the person already lives at this address", "已在该地址居住")
            if moved_in < current["moved_in"]:
                raise DomainRuleViolation("moved_in", "residence.before_current",
                                          f"moved_in is before the current residence began ({current['moved_in']})",
                                          "入住日期早于当前居住地的入住日期")
        self.record(ResidenceRegistered(
            person_id=self.person_id, address_code=address_code, requested_code=requested_code,
            address_name=address_name, moved_in=moved_in, reason=reason, residence_type=residence_type,
            owner_name=owner_name, lessor_name=lessor_name, division_code=division_code))

    def move_out(self, moved_out: date, reason: str, today: date) -> None:
        self._require_active()
        current = self.current_residence
        if current is None:
            raise StateConflict("residence.none", "the person has no current residence", "该人员当前无居住地")
        if moved_out > today:
            raise DomainRuleViolation("moved_out", "date.future", "moved_out is after today", "迁出日期晚于今天")
        if moved_out < current["moved_in"]:
            raise DomainRuleViolation("moved_out", "date.before_move_in", "moved_out is before moved_in",
                                      "迁出日期早于入住日期")
        self.record(ResidenceEnded(person_id=self.person_id, address_code=current["address_code"],
                                   moved_out=moved_out, reason=reason))

    def change_residence_details(self, changed_on: date, today: date, **changes: str | None) -> None:
        """居住事由 / 居住类型 / 房主或寄住户主变更 of the open residence: at least one of the fields given must differ
        (``changes`` keys: residence_reason, residence_type, host_person_id; None: unchanged)."""
        self._require_active()
        current = self.current_residence
        if current is None:
            raise DomainRuleViolation("residence", "residence.none", "the person has no open residence to change",
                                      "该人员当前无居住地")
        not_after("changed_on", changed_on, today, "变更日期")
        if changed_on < current["moved_in"]:
            raise DomainRuleViolation("changed_on", "date.before_move_in", f"changed_on is before the residence "
                                      f"began ({current['moved_in']})", "变更日期早于入住日期")
        if changes.get("host_person_id") == self.person_id:
            raise DomainRuleViolation("host_person_id", "host.self", "a person is not their own host",
                                      "房主或寄住户主不能是本人")
        given = {name: value for name, value in changes.items() if value is not None}
        entry = open_residence(self.state) or {}
        held = {"residence_reason": entry.get("reason"), "residence_type": entry.get("residence_type"),
                "host_person_id": entry.get("host_person_id")}
        if not given:
            raise DomainRuleViolation("residence_reason", "residence_details.empty", "give at least one of "
                                      "residence_reason, residence_type, host_person_id", "未填写变更内容")
        if all(held[name] == value for name, value in given.items()):
            name = next(iter(given))
            raise DomainRuleViolation(name, "residence_details.unchanged", f"{name} is already {given[name]!r}",
                                      "变更内容与当前居住信息相同")
        self.record(ResidenceDetailsChanged(person_id=self.person_id, address_code=current["address_code"],
                                            changed_on=changed_on, **given))

    def renew_migrant_registration(self, valid_until: date, today: date) -> None:
        self._require_active()
        if self.category != Category.migrant:
            raise StateConflict("renewal.not_migrant", f"only a migrant registration is renewed; this person is "
                                f"{self.category}", "仅流动人口暂住登记可续期")
        if valid_until <= today:
            raise DomainRuleViolation("valid_until", "date.not_future", "a renewal must end after today",
                                      "续期有效期须晚于今天")
        self.record(MigrantRegistrationRenewed(person_id=self.person_id, valid_until=valid_until))

    def issue_residence_permit(self, permit_number: str, issued_on: date, expires_on: date, today: date) -> None:
        """居住证签发 / 换领: only a migrant (流动人口) holds a residence permit."""
        self._require_active()
        self._require_category(Category.migrant, "residence_permit.not_migrant", "a residence permit (居住证) is "
                               "issued to a migrant (流动人口) only", "仅流动人口可签发居住证")
        not_after("issued_on", issued_on, today, "签发日期")
        if expires_on <= issued_on:
            raise DomainRuleViolation("expires_on", "date.not_after_issue", "expires_on must be after issued_on",
                                      "有效期至须晚于签发日期")
        details = self.state.get("details") or {}
        if (details.get("residence_permit_number"), details.get("residence_permit_expiry")) == \
                (permit_number, expires_on.isoformat()):
            raise DomainRuleViolation("permit_number", "residence_permit.unchanged",
                                      "the person already holds this permit with this expiry", "居住证信息未变化")
        self.record(ResidencePermitIssued(person_id=self.person_id, permit_number=permit_number, issued_on=issued_on,
                                          expires_on=expires_on))

    def change_stay(self, permitted_stay_until: date, visa_type: str | None, visa_number: str | None) -> None:
        """签证 / 停留期限变更: only a foreigner (境外人员) has a permitted stay; it cannot end before entry."""
        self._require_active()
        self._require_category(Category.foreigner, "stay.not_foreigner", "a permitted stay (停留期限) is a "
                               "foreigner's (境外人员) only", "仅境外人员有停留期限")
        details = self.state.get("details") or {}
        if details.get("entry_date") and permitted_stay_until < date.fromisoformat(details["entry_date"]):
            raise DomainRuleViolation("permitted_stay_until", "date.before_entry",
                                      f"permitted_stay_until is before the entry date ({details['entry_date']})",
                                      "停留有效期早于入境日期")
        changed = {"permitted_stay_until": permitted_stay_until.isoformat(), "visa_type": visa_type,
                   "visa_number": visa_number}
        if all(value is None or details.get(key) == value for key, value in changed.items()):
            raise DomainRuleViolation("permitted_stay_until", "stay.unchanged", "nothing differs from the record",
                                      "停留期限与签证信息未变化")
        self.record(StayPermitChanged(person_id=self.person_id, permitted_stay_until=permitted_stay_until,
                                      visa_type=visa_type, visa_number=visa_number))

    def change_accommodation(self, accommodation: Accommodation, address_code: str, arrived_at: datetime,
                             now: datetime, *, requested_code: str | None = None, address_name: str | None = None,
                             division_code: str | None = None, host_unit: str | None = None,
                             reason: str = "") -> None:
        """境外人员住宿变更: only a foreigner; the arrival lies between the entry (and the current stay's start) and
        now, at another address than the current one."""
        self._require_active()
        self._require_category(Category.foreigner, "accommodation.not_foreigner", "an accommodation (住宿) is "
                               "registered for a foreigner (境外人员) only", "仅境外人员登记住宿变更")
        arrived = arrived_at if arrived_at.tzinfo else arrived_at.replace(tzinfo=timezone.utc)
        if arrived > now:
            raise DomainRuleViolation("arrived_at", "date.future", "arrival at the accommodation is in the future",
                                      "抵达住地时间晚于当前时间")
        day, entry = local_date(arrived), (self.state.get("details") or {}).get("entry_date")
        if entry and day < date.fromisoformat(entry):
            raise DomainRuleViolation("arrived_at", "date.before_entry", f"arrival is before the entry date ({entry})",
                                      "抵达住地时间早于入境日期")
        current = self.current_residence
        if current is not None and current["address_code"] == address_code:
            raise DomainRuleViolation("address_code", "accommodation.same_address", "the foreigner already stays "
                                      "at this address", "已在该地址住宿")
        if current is not None and day < current["moved_in"]:
            raise DomainRuleViolation("arrived_at", "residence.before_current", "arrival is before the current "
                                      f"stay began ({current['moved_in']})", "抵达住地时间早于当前住地的入住日期")
        self.record(ForeignerAccommodationChanged(
            person_id=self.person_id, accommodation=accommodation, address_code=address_code,
            requested_code=requested_code, address_name=address_name, division_code=division_code,
            arrived_at=arrived, moved_in=day, host_unit=(host_unit or "").strip() or None,
            reason=reason.strip() or "住宿变更"))

    def settle(self, settled_on: date, household_number: str, relation_to_head: str, lives_at_registered_address: bool,
               reason: str, today: date) -> None:
        """流动人口落户 (流动 → 常住): only a migrant settles, on a day between their arrival and today."""
        self._require_active()
        self._require_category(Category.migrant, "settle.not_migrant", "only a migrant (流动人口) settles as a "
                               "registered resident", "仅流动人口可办理落户转为常住")
        not_after("settled_on", settled_on, today, "落户日期")
        arrival = (self.state.get("details") or {}).get("arrival_date")
        if arrival and settled_on < date.fromisoformat(arrival):
            raise DomainRuleViolation("settled_on", "date.before_arrival", f"settled_on is before the arrival "
                                      f"({arrival})", "落户日期早于来本地日期")
        self.record(MigrantSettled(person_id=self.person_id, settled_on=settled_on, household_number=household_number,
                                   relation_to_head=relation_to_head,
                                   lives_at_registered_address=lives_at_registered_address, reason=reason))

    def register_household(self, registered_on: date, household_number: str, relation_to_head: str,
                           lives_at_registered_address: bool, reason: str, today: date) -> None:
        """未落户人员落户 (未落户 → 常住): only an unregistered person is entered in a household, on a day between
        their birth and today."""
        self._require_active()
        self._require_category(Category.unregistered, "register_household.not_unregistered", "only an unregistered "
                               "person (未落户人员) is entered in a household here", "仅未落户人员可办理落户")
        not_after("registered_on", registered_on, today, "落户日期")
        if self.birth_date and registered_on < self.birth_date:
            raise DomainRuleViolation("registered_on", "date.before_birth", "registered_on is before the birth date",
                                      "落户日期早于出生日期")
        self.record(HouseholdRegistered(
            person_id=self.person_id, registered_on=registered_on, household_number=household_number,
            relation_to_head=relation_to_head, lives_at_registered_address=lives_at_registered_address, reason=reason))

    def _require_category(self, category: Category, rule: str, message: str, message_zh: str) -> None:
        if self.category != category:
            raise DomainRuleViolation("category", rule, f"{message}; this person is {self.category}", message_zh)

    def cancel(self, reason: CancellationReason, cancelled_on: date, remark: str, today: date) -> None:
        self._require_active()
        if cancelled_on > today:
            raise DomainRuleViolation("cancelled_on", "date.future", "cancelled_on is after today", "注销日期晚于今天")
        if self.birth_date and cancelled_on < self.birth_date:
            raise DomainRuleViolation("cancelled_on", "date.before_birth", "cancelled_on is before the birth date",
                                      "注销日期早于出生日期")
        current = self.current_residence
        if current is not None:  # a cancelled person lives nowhere: the residence ends with the record
            self.record(ResidenceEnded(person_id=self.person_id, address_code=current["address_code"],
                                       moved_out=max(cancelled_on, current["moved_in"]), reason=f"注销: {reason}"))
        self.record(PersonCancelled(person_id=self.person_id, reason=reason, cancelled_on=cancelled_on, remark=remark))

    def merge_into(self, survivor_id: str, reason: str) -> None:
        """Idempotent: merging again into the same survivor records nothing (a retried merge completes)."""
        if self.redirect_to == survivor_id:
            return
        if survivor_id == self.person_id:
            raise DomainRuleViolation("survivor_id", "merge.self", "a person cannot be merged into itself",
                                      "不能与自身合并")
        self._require_active()
        self.record(PersonMergedInto(person_id=self.person_id, survivor_id=survivor_id, reason=reason))

    def absorb(self, duplicate_id: str) -> None:
        if duplicate_id in self.fields.get("merged_from", []):
            return
        self._require_active()
        self.record(DuplicatePersonAbsorbed(person_id=self.person_id, duplicate_id=duplicate_id))

    def _require_active(self) -> None:
        if self.status != "active":
            raise StateConflict(f"person.{self.status}", f"person {self.person_id} is {self.status}",
                                f"该人员记录{STATUS_ZH[self.status]}")

    # state -------------------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self.state.get("status", "active")

    @property
    def redirect_to(self) -> str | None:
        return self.state.get("redirect_to")

    @property
    def category(self) -> Category | None:
        return Category(self.state["category"]) if self.state.get("category") else None

    @property
    def details(self) -> Any:
        return DETAILS.validate_python(self.state["details"]) if self.state.get("details") else None

    @property
    def fields(self) -> dict[str, Any]:
        """The base record's fields (JSON values, as published)."""
        return {key: value for key, value in self.state.items() if key not in ("details", "category")}

    @property
    def birth_date(self) -> date | None:
        return date.fromisoformat(self.state["birth_date"]) if self.state.get("birth_date") else None

    @property
    def current_residence(self) -> dict | None:
        current = open_residence(self.state)
        return None if current is None else {"address_code": current["address_code"],
                                             "moved_in": date.fromisoformat(current["moved_in"])}
