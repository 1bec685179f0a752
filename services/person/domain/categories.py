"""Rules on each category's fields (实有人口业务类型) beyond their shape: the date rules of DOMAIN.md.

arrival / move-in ≤ today; expected leave ≥ start; permitted stay ≥ entry date. A residence permit number
needs its expiry date. Field names in errors are the flat body's (``arrival_date``), so the 422 ``loc`` ends
with the field the caller sent.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from contracts.person import (
    ForeignerDetails, LodgerDetails, MigrantDetails, MigrantResidenceType, RegisteredDetails,
)
from services.kernel.base.errors import DomainRuleViolation


def _not_after_today(field: str, value: date | None, today: date, what_zh: str) -> None:
    if value is not None and value > today:
        raise DomainRuleViolation(field, "date.future", f"{field} {value} is after today ({today})",
                                  f"{what_zh} {value} 晚于今天")


def check_details(details, today: date, now: datetime | None = None):
    """Raise DomainRuleViolation for the first broken rule; return the details (a migrant's rental implied)."""
    if isinstance(details, RegisteredDetails):
        _not_after_today("moved_in_on", details.moved_in_on, today, "迁入日期")
    elif isinstance(details, LodgerDetails):
        _not_after_today("start_date", details.start_date, today, "寄住开始日期")
        if details.expected_leave_date is not None and details.expected_leave_date < details.start_date:
            raise DomainRuleViolation("expected_leave_date", "date.before_start",
                                      "expected leave date is before the start date", "预计离开日期早于开始日期")
    elif isinstance(details, MigrantDetails):
        _not_after_today("arrival_date", details.arrival_date, today, "来本地日期")
        if details.residence_permit_number and details.residence_permit_expiry is None:
            raise DomainRuleViolation("residence_permit_expiry", "permit.expiry_required",
                                      "a residence permit number needs its expiry date", "填写居住证号码须同时填写有效期")
        if details.residence_type == MigrantResidenceType.rental and not details.renting:
            details = details.model_copy(update={"renting": True})
        if details.renting and not details.owner_name:
            raise DomainRuleViolation("owner_name", "rental.owner_required", "a migrant renting needs the owner's name",
                                      "租住的流动人口须填写房主")
    elif isinstance(details, ForeignerDetails):
        _not_after_today("entry_date", details.entry_date, today, "入境日期")
        if details.permitted_stay_until < details.entry_date:
            raise DomainRuleViolation("permitted_stay_until", "date.before_entry",
                                      "permitted stay ends before the entry date", "停留有效期早于入境日期")
        arrived = details.arrived_at if details.arrived_at.tzinfo else details.arrived_at.replace(tzinfo=timezone.utc)
        if now is not None and arrived > now:
            raise DomainRuleViolation("arrived_at", "date.future", "arrival at the accommodation is in the future",
                                      "抵达住地时间晚于当前时间")
        if arrived.date() < details.entry_date:
            raise DomainRuleViolation("arrived_at", "date.before_entry", "arrival at the accommodation is before entry",
                                      "抵达住地时间早于入境日期")
    return details
