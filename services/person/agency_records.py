"""What agency records about a registered person need (社会化采集): the person their document names, and the
hotel stay (旅馆住宿登记) a hotel reports.

An agency knows a person by the document it checked (证件类型, 证件号码), not by ybss's person id: the person is
found through the registry's own document claim (one person, one record), so no read model can lag behind.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.identity import DocumentType, IdentityError, validate_document
from contracts.person_stays import HotelStayRecorded
from services.agency.ingest import Applied, reject
from services.kernel.base.errors import StateConflict
from services.kernel.eventsourcing.ids import new_id
from services.person.application import document_claim
from services.person.domain.hotel_stay import HotelStay
from services.person.domain.person import Person, person_stream

CHINA = ZoneInfo("Asia/Shanghai")


async def person_named(svc, fields: dict) -> Person:
    """The active person whose document ``fields`` names (422 naming ``document_number`` when none is)."""
    number = fields.get("document_number")
    if not isinstance(number, str) or not number.strip():
        raise reject("document_number", "missing", "document_number is required", "缺少必填字段 证件号码")
    try:
        identity = validate_document(fields.get("document_type") or DocumentType.resident_id, number,
                                     fields.get("nationality"))
    except (IdentityError, ValueError) as error:
        raise reject(getattr(error, "field", "document_type"), getattr(error, "rule", "document_type.unknown"),
                     str(error), getattr(error, "message_zh", "证件类型或号码不符合标准")) from None
    person_id = await svc.settled_owner(document_claim(identity.key))
    person = await svc.find(Person, person_stream(person_id)) if person_id else None
    if person is None:
        raise reject("document_number", "person.unknown", "no registered person holds this document; register the "
                     "person first (实有人口登记)", "该证件号码未登记实有人口，请先登记")
    if person.status != "active":
        raise StateConflict(f"person.{person.status}", f"person {person.person_id} is {person.status}",
                            "该人员记录不是有效状态")
    return person


def _china_time(value: datetime | None) -> datetime | None:
    """A hotel's clock time without a zone is Beijing time."""
    return value.replace(tzinfo=CHINA) if value is not None and value.tzinfo is None else value


class RecordHotelStay(BaseModel):
    """旅馆住宿登记 as the hotel reports it (the guest's document is looked up, not stored)."""

    model_config = ConfigDict(extra="ignore")

    hotel_name: str = Field(min_length=1, max_length=200, description="旅馆名称")
    division_code: str = Field(min_length=6, max_length=12, description="the hotel's township or county")
    hotel_unit_id: str | None = Field(default=None, max_length=64)
    address_code: str | None = Field(default=None, max_length=40)
    room: str = Field(default="", max_length=32, description="房间号")
    checked_in: datetime = Field(description="入住时间")
    checked_out: datetime | None = Field(default=None, description="退房时间")

    _zoned = field_validator("checked_in", "checked_out")(lambda value: _china_time(value))


async def guest_stays(svc, _entity_id, fields: dict, ctx) -> Applied:
    """A hotel's guest record: the guest must be a registered person (the name, when sent, must be theirs)."""
    command = RecordHotelStay.model_validate(fields)
    ctx.require_within(command.division_code)
    person = await person_named(svc, fields)
    if fields.get("name") and fields["name"] != person.fields.get("name"):
        raise reject("name", "hotel_stay.name_mismatch", "the guest's name differs from the registered person's",
                     "住客姓名与证件登记姓名不符")
    stay = HotelStay.record_stay(HotelStayRecorded(stay_id=new_id("S"), person_id=person.person_id,
                                                   **command.model_dump()))
    await svc.save(stay, ctx)
    return Applied(stay.id.removeprefix("hotelstay-"), stay.id, stay.version)
