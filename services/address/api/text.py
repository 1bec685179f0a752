"""Routes for free-text addresses: split into chunks (地址要素拆分) and match to standard addresses (地址匹配).

Why: agencies and collectors type addresses freely (蒙自市天马路十八号3幢2单元1203室); linking each one to a
standard address code is what 一标三实 rests on.  ``/parse`` exposes the BiLSTM-CRF ensemble parser (services.address.text.parsing)
for clients that want the chunks; ``/match`` ranks registered door plates and rooms for a text: the bounded
lookups are in text/candidates.py (the text read by the parser: text/reading.py), the scoring in text/ranking.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

# The helpers below are re-exported: they were defined here before the split and are imported from here.
from services.address.text.candidates import (  # noqa: F401
    door_of, match_text, name_variants, one_edit_pattern, resolve_scope, room_filter, scope_codes,
)
from services.address.text.ranking import (  # noqa: F401
    ROAD_MIN, Ranked, RoadMatch, best_road_match, name_similarity, plate_readings, plate_variants, rank_roads,
    room_components, score_variants,
)
from services.address.domain.normalize import split_division
from services.kernel.web.authz import READERS, allow
from services.address.bootstrap import Reads

router = APIRouter(prefix="/v1/addresses", tags=["free-text addresses 地址解析与匹配"],
                   dependencies=[Depends(allow("address.text", *READERS, "service"))])  # service: ingest's matcher

MAX_TEXT = 200
TOWNSHIP_DIGITS = 9  #: a standard address code begins with its township's division code


# request / response shapes ---------------------------------------------------------------------------
def _not_blank(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("text.blank", "text must not be empty or whitespace only / 地址文本不能为空")
    return text


class ParseRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="free-text address 地址文本",
                      examples=["云南省红河州蒙自市文澜街道天马路18号3栋2单元1203室"])
    _blank = field_validator("text")(_not_blank)


class ChunkOut(BaseModel):
    label: str = Field(examples=["road"], description="prov, city, district, town, road, roadno, poi, houseno, "
                                                       "cellno, floorno, roomno ...")
    text: str = Field(examples=["天马路"])
    start: int = Field(examples=[13], description="offset into the request text (inclusive)")
    end: int = Field(examples=[16], description="offset into the request text (exclusive)")


class ParseResponse(BaseModel):
    chunks: list[ChunkOut]


class MatchRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="free-text address 地址文本",
                      examples=["蒙自市天马路十八号3幢2单元1203室"])
    division_code: str | None = Field(default=None, pattern=r"^\d{2,12}$", examples=["532503001"],
                                      description="limit the search to this division 限定行政区划 (county or township)")
    limit: int = Field(default=10, ge=1, le=50, description="candidates returned")
    _blank = field_validator("text")(_not_blank)


class Candidate(BaseModel):
    code: str = Field(description="standard address code 标准地址编码")
    kind: Literal["doorplate", "room"]
    full_name: str = Field(examples=["云南省红河州蒙自市文澜街道天马路18号3栋2单元1203室"])
    score: float = Field(ge=0, le=1, examples=[1.0])
    reasons: list[str] = Field(examples=[["exact standard full name", "door: 18 = 18"]])
    doorplate_code: str = Field(description="the door plate (itself, or the room's)")
    approval_state: str | None = Field(default=None, examples=["approved"])

    @classmethod
    def of(cls, ranked: Ranked) -> Candidate:
        """The answer's view of a ranked candidate: the score rounded, the exact flag left to the order."""
        return cls(code=ranked.code, kind=ranked.kind, full_name=ranked.full_name, score=round(ranked.score, 4),
                   reasons=ranked.reasons, doorplate_code=ranked.doorplate_code,
                   approval_state=ranked.approval_state)


class MatchResponse(BaseModel):
    query: dict = Field(description="the normalised text and its components as read",
                        examples=[{"normalized": "天马路18号3栋2单元1203室", "division_code": "532503",
                                   "components": {"road": "天马路", "door": "18", "building": "3"}}])
    candidates: list[Candidate]


# routes -----------------------------------------------------------------------------------------------
@router.post("/parse", response_model=ParseResponse, summary="Split a free-text address into chunks 地址要素拆分",
             responses={503: {"description": "the parser model is not installed"}})
async def parse_address(request: ParseRequest, http: Request) -> ParseResponse:
    from services.address.text.parsing import parse

    try:
        chunks = await asyncio.to_thread(parse, request.text)  # the first call loads the parser model
    except (FileNotFoundError, ImportError) as error:
        raise HTTPException(503, detail=f"address parser unavailable: {error} / 地址解析模型不可用") from None
    await http.state.caller.accessed("address_parse", None, lookup={"text": request.text[:100]},
                                     result_count=len(chunks))
    return ParseResponse(chunks=[ChunkOut(label=c.label, text=c.text, start=c.start, end=c.end) for c in chunks])


@router.post("/match", response_model=MatchResponse, summary="Rank standard addresses for a free text 地址匹配",
             responses={503: {"description": "the parser model is not installed"}})
async def match_address(request: MatchRequest, reads: Reads, http: Request) -> MatchResponse:
    """Scoped to the caller's jurisdiction (a wider ``division_code`` is narrowed to it, a disjoint one refused,
    candidates outside it never returned) and logged (查询留痕: the text and how many candidates came back)."""
    caller = http.state.caller
    requested = within_jurisdiction(caller, resolve_scope(request.division_code, "division_code"))
    try:
        found = await match_text(reads, request.text, requested)  # the text is read by the parser
    except (FileNotFoundError, ImportError) as error:
        raise HTTPException(503, detail=f"address parser unavailable: {error} / 地址解析模型不可用",
                            headers={"Retry-After": "60"}) from None
    candidates = [Candidate.of(ranked) for ranked in found.ranked
                  if caller.within(ranked.code[:TOWNSHIP_DIGITS])][:request.limit]
    await caller.accessed("address_match", None, lookup={"text": request.text[:100],
                                                         "division_code": requested or ""},
                          result_count=len(candidates))
    return MatchResponse(
        query={"normalized": split_division(request.text, requested)[1], "division_code": found.scope,
               "components": {key: value for key, value in asdict(found.query).items() if value not in (None, "")}},
        candidates=candidates)


def within_jurisdiction(caller, requested: str | None) -> str | None:
    """The division to search: the one asked for inside the caller's jurisdiction, the jurisdiction itself when
    none (or a wider one) was asked for, 403 for one outside it. Admins search where they ask."""
    prefix = caller.scope.prefix
    if prefix is None or (requested and requested.startswith(prefix)):
        return requested
    if requested and not prefix.startswith(requested):
        caller.require_within(requested, "division")
    return resolve_scope(prefix, None) or requested
