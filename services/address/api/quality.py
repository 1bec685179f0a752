"""Door-plate quality reports (重、错、漏门牌清理) per road and per township, from the read model.

Why: supervisors are judged on clean registries: duplicate plates, missing numbers, numbers on the wrong side
of the road, plates without coordinates and plates waiting for approval must be found and worked off.  The
rules live in quality.road_quality_report (pure); this module only feeds it what the read model holds: the
road's plates (retired ones passed with their status so the report leaves them out; merged ones are left out
here, their survivor stands for them) and the numbering rule — the road's own (PUT
/v1/places/{code}/numbering-rule), else the city default of config.address_settings().
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from contracts import divisions
from services.address.config import AddressSettings, address_settings
from services.address.domain.numbering import NumberingRule
from services.address.views.quality import PlateInput, RoadQualityReport, road_quality_report
from services.address.views.reads import collection
from services.kernel.web.authz import Allowed
from services.kernel.base.errors import DomainRuleViolation, NotFound
from services.address.bootstrap import Reads

router = APIRouter(prefix="/v1/quality", tags=["quality 门牌质量"])
QualityReader = Allowed("address.quality", "police", "supervisor")

PLACE_TYPES = ["41", "42", "43", "44"]  # 街路巷, 小区, 单位院, 自然村: what door plates hang under
PLATE_FIELDS = {key: 1 for key in ("place_code", "door_number", "side", "location", "approval_state", "status")}
REPORTED_STATUSES = ["in_use", "retired"]  # merged plates are represented by their survivor


# pure helpers ------------------------------------------------------------------------------------------
def numbering_rule(place: dict, settings: AddressSettings) -> tuple[NumberingRule, str]:
    """The road's own rule, else the city default; with where it came from ("road" / "city_default")."""
    own = place.get("numbering_rule")
    if own is not None:
        return NumberingRule.from_config(own), "road"
    return NumberingRule.from_config({"odd_side": settings.default_odd_side, "skip": settings.default_skip}), \
        "city_default"


def plate_input(plate: dict) -> PlateInput:
    """Read-model door plate → what the report needs (WGS-84 [lng, lat] from the GeoJSON point)."""
    coordinates = (plate.get("location") or {}).get("coordinates") or (None, None)
    return PlateInput(plate_id=plate["_id"], number=plate["door_number"], side=plate.get("side"),
                      lng=coordinates[0], lat=coordinates[1], approval=plate.get("approval_state") or "approved",
                      status="retired" if plate.get("status") == "retired" else "in_use")


def rule_view(rule: NumberingRule, source: str) -> dict:
    return {"odd_side": rule.odd_side, "skip": sorted(rule.skip), "start": rule.start, "source": source}


def summary(report: RoadQualityReport) -> dict[str, int]:
    """Counts of one road's report (a duplicate group and a missing number count once)."""
    return {
        "plates": report.plate_count,
        "duplicates": len(report.duplicates),
        "duplicate_plates": sum(len(group.plate_ids) for group in report.duplicates),
        "gaps": sum(len(gap.missing) for gap in report.gaps),
        "wrong_side": len(report.wrong_side),
        "skipped_numbers_used": len(report.skipped_numbers_used),
        "without_coordinates": len(report.missing_coordinates),
        "implausible_coordinates": len(report.implausible_coordinates),
        "unreadable_numbers": len(report.unreadable_numbers),
        "pending_approvals": len(report.pending_approvals),
        "issues": report.issue_count,
    }


def totals(summaries: list[dict[str, Any]]) -> dict[str, int]:
    keys = ("plates", "duplicates", "duplicate_plates", "gaps", "wrong_side", "skipped_numbers_used",
            "without_coordinates", "implausible_coordinates", "unreadable_numbers", "pending_approvals", "issues")
    out = {key: sum(item["counts"][key] for item in summaries) for key in keys}
    out["roads"] = len(summaries)
    out["roads_with_issues"] = sum(1 for item in summaries if item["counts"]["issues"])
    return out


def report_for(place: dict, plates: list[dict], settings: AddressSettings) -> tuple[RoadQualityReport, dict]:
    rule, source = numbering_rule(place, settings)
    report = road_quality_report(place["name"], [plate_input(plate) for plate in plates], rule,
                                 division_code=place["division_code"])
    return report, rule_view(rule, source)


# responses ---------------------------------------------------------------------------------------------
class RoadReport(BaseModel):
    place_code: str = Field(examples=["532503001410000000000000"])
    road: str = Field(examples=["天马路"])
    division_code: str = Field(examples=["532503001"])
    rule: dict = Field(examples=[{"odd_side": "left", "skip": [], "start": 1, "source": "road"}],
                       description="numbering rule used 编号规则 and its source (road / city_default)")
    retired_plates: int = Field(description="retired plates, left out of the checks", examples=[0])
    door_numbers: dict[str, str] = Field(description="plate code → door number 门牌号, to read the report by",
                                         examples=[{"532503001500000000000001": "18号"}])
    report: dict = Field(description="duplicates 重号, gaps 漏号, wrong_side 错边, missing_coordinates 缺坐标, "
                                     "pending_approvals 待审核 ... (plate codes)",
                         examples=[{"plate_count": 3, "duplicates": [], "gaps": [
                             {"side": "left", "parity": "odd", "missing": [5], "ranges": [[5, 5]]}],
                             "issue_count": 1}])


class TownshipReport(BaseModel):
    division_code: str = Field(examples=["532503001"])
    division_name: str = Field(examples=["云南省红河州蒙自市文澜街道"])
    totals: dict = Field(examples=[{"roads": 12, "plates": 340, "duplicates": 2, "gaps": 9,
                                    "without_coordinates": 17, "pending_approvals": 4, "issues": 32}])
    roads: list[dict] = Field(description="per road/compound, most issues first",
                              examples=[[{"place_code": "532503001410000000000000", "name": "天马路",
                                          "counts": {"plates": 30, "issues": 3}}]])


# routes ------------------------------------------------------------------------------------------------
@router.get("/roads/{place_code}", response_model=RoadReport, summary="Quality of one road's door plates 街路巷门牌质量")
async def road_report(place_code: Annotated[str, Path(examples=["532503001410000000000000"])], reads: Reads,
                      caller: QualityReader) -> RoadReport:
    place = await collection(reads, "places").find_one({"_id": place_code})
    if place is None:
        raise NotFound("place", place_code)
    caller.require_within(place["division_code"], "road")
    plates = [plate async for plate in collection(reads, "doorplates").find(
        {"place_code": place_code, "status": {"$in": REPORTED_STATUSES}}, PLATE_FIELDS)]
    report, rule = report_for(place, plates, address_settings())
    return RoadReport(place_code=place_code, road=place["name"], division_code=place["division_code"], rule=rule,
                      retired_plates=sum(1 for plate in plates if plate["status"] == "retired"),
                      door_numbers={plate["_id"]: plate["door_number"] for plate in plates
                                    if plate["status"] != "retired"},
                      report=report.as_dict())


@router.get("/townships/{division_code}", response_model=TownshipReport,
            summary="Quality of every road of a township 乡镇街道门牌质量汇总")
async def township_report(division_code: Annotated[str, Path(examples=["532503001"])], reads: Reads,
                          caller: QualityReader) -> TownshipReport:
    division = divisions.get(division_code)
    if division is None:
        raise NotFound("division", division_code)
    if division.level not in ("county", "township"):
        raise DomainRuleViolation("division_code", "division.level", "give a township or county code",
                                  "须为乡镇街道或县级区划代码")
    caller.require_within(division.code, "division")
    codes = [division.code] + ([child.code for child in divisions.children(division.code, include_retired=True)]
                               if division.level == "county" else [])
    places = [place async for place in collection(reads, "places").find(
        {"division_code": {"$in": codes}, "element_type": {"$in": PLACE_TYPES}},
        {"name": 1, "division_code": 1, "element_type": 1, "status": 1, "numbering_rule": 1})]
    by_place: dict[str, list[dict]] = defaultdict(list)
    async for plate in collection(reads, "doorplates").find(
            {"division_code": {"$in": codes}, "status": {"$in": REPORTED_STATUSES}}, PLATE_FIELDS):
        by_place[plate["place_code"]].append(plate)
    settings = address_settings()
    roads = []
    for place in places:
        report, rule = report_for(place, by_place.get(place["_id"], []), settings)
        roads.append({"place_code": place["_id"], "name": place["name"], "element_type": place["element_type"],
                      "status": place.get("status"), "rule": rule, "counts": summary(report)})
    roads.sort(key=lambda road: (-road["counts"]["issues"], road["name"], road["place_code"]))
    return TownshipReport(division_code=division.code, division_name=divisions.full_name(division.code),
                          totals=totals(roads), roads=roads)
