"""What a declarant sends (申报内容) and what police send back (核实/退回): one body model per kind of declaration.

Every declaration names ``division_code``, where the house, unit or hotel lies (police of that division verify
it; it must lie inside the declarant's own jurisdiction, its token's ``org``). The kinds' own fields are the
registry commands' fields (contracts/ingest_types.py: tenant, employee, hotel_stay), so a verified declaration is
handed over as it was declared.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from services.kernel.eventsourcing.application import Accepted

DIVISION = Field(min_length=6, max_length=12, pattern=r"^\d+$", description="所在辖区: the division code where the "
                 "house, unit or hotel lies (inside your own jurisdiction); its police verify the declaration",
                 examples=["532503001"])
_ID_EXAMPLE = "0192f1a2b3c4d5e7f8a9b0c1d2e3f4a5"


def _id(description: str, prefix: str) -> Any:
    """A registry id the declaration names (房屋, 出租登记, 单位, 人员), with an example of its shape."""
    return Field(min_length=1, max_length=40, description=description, examples=[f"{prefix}{_ID_EXAMPLE}"])


class _Declaring(BaseModel):
    model_config = ConfigDict(extra="forbid")

    division_code: str = DIVISION
    remark: str = Field(default="", max_length=500, description="申报说明", examples=["新租客入住"])


class _Tenancy(_Declaring):
    """Which tenancy: the house, its rental (出租登记) and the tenant."""

    house_id: str = _id("实有房屋 house id", "H")
    rental_id: str = _id("出租登记 rental id", "R")
    person_id: str = _id("承租人的实有人口 person id", "P")


class TenantIn(_Tenancy):
    """房东申报: 承租人入住 (a tenant moved into a rental of the house)."""

    kind: Literal["tenant_in"]
    moved_in: date = Field(description="入住日期", examples=["2026-12-01"])


class TenantOut(_Tenancy):
    """房东申报: 承租人搬离 (a tenant the declarations registered moved out)."""

    kind: Literal["tenant_out"]
    moved_out: date = Field(description="搬离日期", examples=["2026-12-20"])


class _Employment(_Declaring):
    """Which employment: the unit and the employee."""

    unit_id: str = _id("实有单位 unit id", "U")
    person_id: str = _id("从业人员的实有人口 person id", "P")


class EmployeeIn(_Employment):
    """用人单位申报: 从业人员入职."""

    kind: Literal["employee_in"]
    position: str = Field(min_length=1, max_length=100, description="岗位/职务", examples=["前台"])
    hired: date = Field(description="入职日期", examples=["2026-12-01"])


class EmployeeOut(_Employment):
    """用人单位申报: 从业人员离职 (an employee the declarations registered left)."""

    kind: Literal["employee_out"]
    left: date = Field(description="离职日期", examples=["2026-12-20"])


class GuestCheckIn(_Declaring):
    """旅馆申报: 旅客入住登记 (the guest is found by the document the hotel checked)."""

    kind: Literal["guest_check_in"]
    document_type: str | None = Field(default=None, max_length=32, description="证件类型 (default 居民身份证)",
                                      examples=["resident_id"])
    document_number: str = Field(min_length=1, max_length=40, description="证件号码", examples=["53250319900307121X"])
    nationality: str | None = Field(default=None, max_length=3, description="国籍 (foreigners)", examples=["CHN"])
    name: str = Field(min_length=1, max_length=64, description="住客姓名 (checked against the registered person)",
                      examples=["张丽"])
    hotel_name: str = Field(min_length=1, max_length=200, description="旅馆名称", examples=["蒙自天马宾馆"])
    hotel_unit_id: str | None = Field(default=None, max_length=64, description="the hotel's 实有单位 unit id",
                                      examples=[f"U{_ID_EXAMPLE}"])
    address_code: str | None = Field(default=None, max_length=40, description="the hotel's 标准地址编码",
                                     examples=["532503001509034148625531"])
    room: str = Field(default="", max_length=32, description="房间号", examples=["305"])
    checked_in: datetime = Field(description="入住时间 (no zone: Beijing time)", examples=["2026-12-02T21:30:00+08:00"])
    checked_out: datetime | None = Field(default=None, description="退房时间", examples=[None])


Declare = Annotated[Union[TenantIn, TenantOut, EmployeeIn, EmployeeOut, GuestCheckIn], Field(discriminator="kind")]

DIVISION_EXAMPLE = {"division_code": "532503001"}
TENANCY = {**DIVISION_EXAMPLE, "house_id": f"H{_ID_EXAMPLE}", "rental_id": f"R{_ID_EXAMPLE}",
           "person_id": f"P{_ID_EXAMPLE}"}
EMPLOYMENT = {**DIVISION_EXAMPLE, "unit_id": f"U{_ID_EXAMPLE}", "person_id": f"P{_ID_EXAMPLE}"}
GUEST_EXAMPLE = {"kind": "guest_check_in", **DIVISION_EXAMPLE, "document_type": "resident_id",
                 "document_number": "53250319900307121X", "nationality": "CHN", "name": "张丽",
                 "hotel_name": "蒙自天马宾馆", "hotel_unit_id": f"U{_ID_EXAMPLE}", "address_code": "532503001509034148625531",
                 "room": "305", "checked_in": "2026-12-02T21:30:00+08:00", "checked_out": None, "remark": ""}
EXAMPLES = {
    "tenant_in": {"summary": "房东申报承租人入住", "value": {
        "kind": "tenant_in", **TENANCY, "moved_in": "2026-12-01", "remark": "新租客入住"}},
    "tenant_out": {"summary": "房东申报承租人搬离", "value": {
        **TENANCY, "kind": "tenant_out", "moved_out": "2026-12-20", "remark": "合同到期搬离"}},
    "employee_in": {"summary": "用人单位申报从业人员入职", "value": {
        "kind": "employee_in", **EMPLOYMENT, "position": "前台", "hired": "2026-12-01", "remark": "新招前台"}},
    "employee_out": {"summary": "用人单位申报从业人员离职", "value": {
        "kind": "employee_out", **EMPLOYMENT, "left": "2026-12-20", "remark": "辞职"}},
    "guest_check_in": {"summary": "旅馆申报旅客入住", "value": GUEST_EXAMPLE},
}


class Verify(BaseModel):
    """核实: police confirm the declaration; it is handed to the registry."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"remark": "已电话核实房东与租客",
                                                                            "expected_version": 1}]})

    remark: str = Field(default="", max_length=500, description="核实意见", examples=["已电话核实房东与租客"])
    expected_version: int | None = Field(default=None, ge=1, description="the version you last read (409 if stale)",
                                         examples=[1])


class Reject(BaseModel):
    """退回: police reject the declaration, saying why (the declarant reads it)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "租客身份证号与本人不符，请核对后重新申报",
                                                                            "expected_version": 1}]})

    reason: str = Field(min_length=1, max_length=500, description="退回理由 (required)",
                        examples=["租客身份证号与本人不符，请核对后重新申报"])
    expected_version: int | None = Field(default=None, ge=1, description="the version you last read (409 if stale)",
                                         examples=[1])


class DeclarationAccepted(Accepted):
    declaration_id: str = Field(examples=[f"D{_ID_EXAMPLE}"])
    state: Literal["pending", "verified", "rejected"] = Field(examples=["pending"])
    due_at: datetime | None = Field(default=None, description="核实期限", examples=["2026-12-05T13:00:00Z"])
