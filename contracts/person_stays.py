"""Hotel stays (旅馆住宿登记): a hotel's report that a registered person stayed there, the key-person watch's
hotel-stay source (services/person/watch). Owned by the person context, one stream per stay (``hotelstay-<id>``);
published on the person events topic beside the person's own facts."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from contracts.events import DomainEvent


class HotelStayRecorded(DomainEvent):
    """旅馆住宿登记: a guest, identified by the document the hotel checked, stayed at a hotel."""

    stay_id: str
    person_id: str = Field(description="实有人口 person id of the guest (found by the document number)")
    division_code: str = Field(description="the hotel's township or county (辖区)")
    hotel_name: str = Field(description="旅馆名称")
    hotel_unit_id: str | None = Field(default=None, description="the hotel's 实有单位 unit id, when the hotel gave it")
    address_code: str | None = Field(default=None, description="the hotel's 标准地址编码, when given")
    room: str = Field(default="", description="房间号")
    checked_in: datetime = Field(description="入住时间")
    checked_out: datetime | None = Field(default=None, description="退房时间")
