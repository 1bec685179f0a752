"""A hotel stay (旅馆住宿登记): one stream per stay, ``hotelstay-<id>``, recorded once from a hotel's report. Pure."""

from __future__ import annotations

from contracts.person_stays import HotelStayRecorded
from services.kernel.base.errors import DomainRuleViolation
from services.kernel.eventsourcing.aggregate import Aggregate, applies


def hotel_stay_stream(stay_id: str) -> str:
    return f"hotelstay-{stay_id}"


class HotelStay(Aggregate):
    stream_type = "HotelStay"

    @classmethod
    def record_stay(cls, event: HotelStayRecorded) -> "HotelStay":
        if not event.hotel_name.strip():
            raise DomainRuleViolation("hotel_name", "required", "hotel_name must not be empty", "旅馆名称不能为空")
        if event.checked_out is not None and event.checked_out < event.checked_in:
            raise DomainRuleViolation("checked_out", "hotel_stay.out_before_in", "checked_out is before checked_in",
                                      "退房时间早于入住时间")
        stay = cls(hotel_stay_stream(event.stay_id))
        stay.record(event)
        return stay

    @applies(HotelStayRecorded)
    def _recorded(self, event: HotelStayRecorded) -> None:
        self.person_id = event.person_id
        self.division_code = event.division_code
