"""Code tables of the person registry (open to every role: they are not records): GB 3304 ethnicities and the
configured key-person categories."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.person_codes import ethnicities, key_person_categories
from services.kernel.web.authz import READERS, Allowed

router = APIRouter(prefix="/v1", tags=["code tables 代码表"])


@router.get("/ethnicities", summary="Ethnicities 民族代码 (GB 3304)")
async def list_ethnicities(caller: Allowed("person.codes", *READERS)) -> dict:
    return {"standard": "GB 3304", "items": [{"code": code, "name": name} for code, name in ethnicities().items()]}


@router.get("/key-person-categories", summary="Key-person categories 重点人员类别 (configuration)")
async def list_key_person_categories(caller: Allowed("person.codes", *READERS)) -> dict:
    return {"items": [{"code": code, "name": name} for code, name in key_person_categories().items()]}
