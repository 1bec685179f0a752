"""A party named on a house or unit record: a registered person, a registered unit, or someone known only
by name and document (an owner abroad, a lessor not yet collected). Shared by the house and unit contracts.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


#: a registered person a command names by id (the tenant moving in, the employee hired)
PersonId = Annotated[str, Field(min_length=1, max_length=64, description="实有人口 person id",
                                examples=["P0192f1a2b3c4d5e7"])]


class PartyRef(BaseModel):
    """Who: ``person_id`` (实有人口), ``unit_id`` (实有单位), or ``name`` + document for someone not registered here."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: str | None = Field(default=None, max_length=64, description="实有人口 person id",
                                  examples=["P-0192f1a2b3c4"])
    unit_id: str | None = Field(default=None, max_length=64, description="实有单位 unit id")
    name: str | None = Field(default=None, max_length=100, description="姓名/名称 for a party not registered here")
    document_type: str | None = Field(default=None, max_length=30,
                                      description="证件类型: id_card 居民身份证, passport 护照, uscc 统一社会信用代码 ...")
    document_number: str | None = Field(default=None, max_length=40, description="证件号码")
    phone: str | None = Field(default=None, max_length=30, description="联系电话")

    @model_validator(mode="after")
    def _one_identity(self) -> "PartyRef":
        named = [value for value in (self.person_id, self.unit_id) if value]
        if len(named) > 1:
            raise ValueError("name either person_id or unit_id, not both")
        if not named and not (self.name and self.name.strip()):
            raise ValueError("a party needs person_id, unit_id, or a name (with its document)")
        return self

    @property
    def kind(self) -> Literal["person", "unit", "external"]:
        return "person" if self.person_id else "unit" if self.unit_id else "external"
