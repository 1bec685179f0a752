"""Deadline rules (期限预警) of a person record, computed against a clock the caller sets (``as_of``).

DOMAIN.md and the issue: a migrant renting must be registered within 3 days of moving in; a residence permit
(居住证) expiring within 30 days or expired; a foreigner outside a hotel must be registered within 24 hours of
arrival; a foreigner past the permitted stay; a migrant registration past its term, neither renewed nor
cancelled. Only active records carry flags (a cancelled or merged person is nobody's deadline).

The facts are plain values taken from the read model, so the same function flags one record, the views
build their list queries from the same thresholds and the audit's quality figures (services.audit.domain.metrics)
count with the same rules: defined once, in the published language, because two contexts need them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from contracts.calendar import local_date

MIGRANT_REGISTRATION_DAYS = 3
PERMIT_WARNING_DAYS = 30
FOREIGNER_REGISTRATION_HOURS = 24


class Flag(StrEnum):
    migrant_registered_late = "migrant_registered_late"  #: 租住流动人口超过3日未登记
    residence_permit_expiring = "residence_permit_expiring"  #: 居住证30日内到期
    residence_permit_expired = "residence_permit_expired"  #: 居住证已过期
    foreigner_registered_late = "foreigner_registered_late"  #: 境外人员住宿超过24小时未登记
    foreigner_overstay = "foreigner_overstay"  #: 境外人员逾期停留
    migrant_registration_overdue = "migrant_registration_overdue"  #: 暂住登记到期未续期也未注销


FLAG_NAMES_ZH = {
    Flag.migrant_registered_late: "租住流动人口超过3日未登记", Flag.residence_permit_expiring: "居住证30日内到期",
    Flag.residence_permit_expired: "居住证已过期", Flag.foreigner_registered_late: "境外人员住宿超过24小时未登记",
    Flag.foreigner_overstay: "境外人员逾期停留", Flag.migrant_registration_overdue: "暂住登记到期未续期",
}


@dataclass(frozen=True)
class DeadlineFacts:
    """What the deadlines depend on (dates as the record holds them)."""

    category: str
    status: str
    registered_at: datetime
    arrival_date: date | None = None  #: migrant: moved in (来本地日期)
    renting: bool = False
    residence_permit_expiry: date | None = None
    registration_valid_until: date | None = None
    accommodation: str | None = None  #: foreigner
    arrived_at: datetime | None = None  #: foreigner: arrival at the accommodation
    permitted_stay_until: date | None = None

    @classmethod
    def of(cls, category: str, status: str, registered_at: datetime, details: dict) -> "DeadlineFacts":
        """The facts of a stored record: its category's fields as published (ISO dates and times)."""
        day, moment = (lambda key: _parsed(details.get(key), date)), (lambda key: _parsed(details.get(key), datetime))
        return cls(category=category, status=status, registered_at=registered_at, arrival_date=day("arrival_date"),
                   renting=bool(details.get("renting")), residence_permit_expiry=day("residence_permit_expiry"),
                   registration_valid_until=day("registration_valid_until"),
                   accommodation=details.get("accommodation"), arrived_at=moment("arrived_at"),
                   permitted_stay_until=day("permitted_stay_until"))


def _parsed(value, kind: type[date]):
    return kind.fromisoformat(value) if isinstance(value, str) else value


def registration_deadline_applies(facts: DeadlineFacts) -> bool:
    """Whether registering this record had a deadline: a renting migrant (3 days from moving in) or a foreigner
    outside a hotel (24 hours from arrival); the audit's assessment (登记及时率) counts these."""
    if facts.category == "migrant":
        return facts.renting and facts.arrival_date is not None
    if facts.category == "foreigner":
        return facts.accommodation not in (None, "hotel") and facts.arrived_at is not None
    return False


def registered_late(facts: DeadlineFacts) -> bool:
    """Late registration is a fact of the record, whatever the clock: fixed when it was registered."""
    if not registration_deadline_applies(facts):
        return False
    if facts.category == "migrant":
        return local_date(facts.registered_at) > facts.arrival_date + timedelta(days=MIGRANT_REGISTRATION_DAYS)
    return facts.registered_at - facts.arrived_at > timedelta(hours=FOREIGNER_REGISTRATION_HOURS)


def permit_expired(expiry: date | None, today: date) -> bool:
    """居住证已过期: expired before today."""
    return expiry is not None and expiry < today


def permit_expiring(expiry: date | None, today: date) -> bool:
    """居住证30日内到期: expires today or within PERMIT_WARNING_DAYS after it."""
    return expiry is not None and today <= expiry <= today + timedelta(days=PERMIT_WARNING_DAYS)


def past(until: date | None, today: date) -> bool:
    """A term (暂住登记有效期, 停留有效期) that ended before today."""
    return until is not None and until < today


def flags(facts: DeadlineFacts, as_of: datetime) -> list[Flag]:
    if facts.status != "active":
        return []
    today = local_date(as_of)
    found: list[Flag] = []
    if facts.category == "migrant":
        if registered_late(facts):
            found.append(Flag.migrant_registered_late)
        if permit_expired(facts.residence_permit_expiry, today):
            found.append(Flag.residence_permit_expired)
        elif permit_expiring(facts.residence_permit_expiry, today):
            found.append(Flag.residence_permit_expiring)
        if past(facts.registration_valid_until, today):
            found.append(Flag.migrant_registration_overdue)
    elif facts.category == "foreigner":
        if registered_late(facts):
            found.append(Flag.foreigner_registered_late)
        if past(facts.permitted_stay_until, today):
            found.append(Flag.foreigner_overstay)
    return found
