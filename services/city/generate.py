"""``ybss city generate``: a deterministic synthetic 蒙自市 (same seed and size → the same files, byte for byte).

Door plates on roads under communities of the real townships, blocks of flats with rooms, houses, persons of the
five categories (境外人员 mostly from Viet Nam), units with special trades, employees, rentals and tenants, key
persons, and problems planted at known rates (:data:`RATES`). Records are streamed to phased JSONL chunks
(services/city/writer.py); what every supervisor figure must be is counted alongside (services/city/truth.py).
Sizes scale with ``persons``: about 3.2 persons per house and 19 per unit, as in the real city.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from contracts import special_trades, uscc
from contracts.person_codes import key_person_categories
from services.city import layout, people
from services.city.truth import Truth
from services.city.writer import ChunkWriter

BEIJING = timezone(timedelta(hours=8))
REAL_CITY_PERSONS = 480_000
PERSONS_PER_HOUSE = 3.2
PERSONS_PER_UNIT = 19.2
#: 实有人口业务类型 shares (a border county town: mostly registered residents, one in six a migrant).
CATEGORIES = (("registered", 0.78), ("lodger", 0.03), ("migrant", 0.17), ("foreigner", 0.006), ("unregistered", 0.014))
HOUSE_USES = (("self_occupied", 0.70), ("rented", 0.20), ("vacant", 0.06), ("business", 0.04))
#: Planted problems and other shares, per record of their kind.
RATES = {
    "missing_address": 0.02,  # a person with no residence registered (unlinked)
    "duplicate_person": 0.003,  # a legacy second record of the same document (重复录入)
    "logic_error": 0.005,  # legacy record whose sex contradicts the ID number (逻辑错误)
    "cancelled": 0.01,  # registered residents and lodgers later cancelled (注销, moved away)
    "retired_plate": 0.01,  # single-house plates retired after records were registered there
    "duplicate_plate": 0.005,  # a second plate of the same number on the same road (重号门牌)
    "unchecked_rental": 0.3,  # rentals with no daily check this month
    "special_trade": 0.05,  # units in a special or key trade
    "overdue_inspection": 0.35,  # special-trade units past their inspection cycle
    "key_person": 0.003,  # persons listed as key persons (重点人员)
    "phone": 0.9,  # phone collected
}
#: (special trade, GB/T 4754 industry) of the city's special-trade units.
TRADES = (("hotel", "H61"), ("internet_cafe", "R90"), ("vehicle_repair", "O81"), ("delivery_logistics", "G60"),
          ("entertainment", "R90"), ("scrap_metal", "F51"), ("used_phone_trade", "F52"), ("locksmith", "O80"))
#: (industry, unit-name word) of ordinary units.
INDUSTRIES = (("F52", "商贸"), ("H62", "餐饮"), ("O80", "便民服务"), ("E48", "建筑工程"), ("C13", "食品加工"),
              ("A01", "种植"), ("L72", "商务咨询"), ("P83", "培训"), ("Q84", "诊所"), ("I65", "信息技术"))
REASONS = (("work", 0.55), ("business", 0.2), ("construction", 0.1), ("family", 0.08), ("study", 0.05), ("other", 0.02))


@dataclass(frozen=True)
class Plan:
    persons: int = REAL_CITY_PERSONS
    seed: int = 2017
    as_of: date | None = None

    @property
    def houses(self) -> int:
        return max(1, round(self.persons / PERSONS_PER_HOUSE))

    @property
    def units(self) -> int:
        return max(1, round(self.persons / PERSONS_PER_UNIT))


def beijing_today() -> date:
    return datetime.now(BEIJING).date()


def split(total: int, weights: list[int]) -> list[int]:
    """``total`` spread over ``weights`` (largest remainder, so the parts sum to the total)."""
    exact = [total * w / sum(weights) for w in weights]
    parts = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: exact[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


class City:
    """One generation run: decisions, records and the truth kept in step."""

    def __init__(self, plan: Plan, out: Path, chunk: int) -> None:
        self.plan, self.out = plan, out
        self.as_of = plan.as_of or beijing_today()
        self.rng = random.Random(plan.seed)
        self.writer = ChunkWriter(out, chunk)
        self.truth = Truth()
        self.ids = people.IdNumbers()
        self.serial: dict[str, int] = {}
        self.candidates: dict[str, int] = {}
        self.taken: dict[str, int] = {}
        self.plates: list[layout.Plate] = []
        self.houses: list[dict] = []  # {"id", "plate", "room", "use", "town", "linked", "members", "rooms"}

    def next_id(self, prefix: str) -> str:
        self.serial[prefix] = self.serial.get(prefix, 0) + 1
        return f"{prefix}{self.serial[prefix]:07d}"

    def planted(self, rate: str) -> bool:
        """Whether this candidate carries the planted problem: exactly ceil(n × rate) of the first n candidates do,
        so even a town of a few hundred persons has at least one of each and the rates hold at every size."""
        seen = self.candidates[rate] = self.candidates.get(rate, 0) + 1
        due = math.ceil(seen * RATES[rate] - 1e-9)
        if due > self.taken.get(rate, 0):
            self.taken[rate] = due
            return True
        return False

    def days_ago(self, low: int, high: int) -> date:
        return self.as_of - timedelta(days=self.rng.randint(low, high))

    # -- addresses ---------------------------------------------------------------------------------------------
    def addresses(self) -> None:
        towns = layout.townships()
        for town, houses in zip(towns, split(self.plan.houses, [t.weight for t in towns])):
            if houses == 0:
                continue
            plates, _ = layout.plates_for(town, houses, self.rng, self.next_id)
            communities = [self.writer.write("communities", self.next_id("c"), "place", {
                "element_type": 31 if town.urban else 33, "parent_code": town.code,
                "name": layout.place_name(i, "社区" if town.urban else "村委会")})
                for i in range(max(1, -(-houses // layout.HOUSES_PER_COMMUNITY)))]
            roads = []
            for i in range(max(1, -(-houses // layout.HOUSES_PER_ROAD))):
                road = self.next_id("r")
                self.writer.write("roads", road, "place", {"element_type": 41, "parent_code": {"$ref": communities[
                    i % len(communities)]}, "name": layout.place_name(self.serial["r"] - 1, "路")})
                roads.append(road)
            self.truth.add(town.code, "places_total", len(communities) + len(roads))
            numbers = [0] * len(roads)
            for index, plate in enumerate(plates):
                road = index * len(roads) // len(plates)
                numbers[road] += 1
                plate.road_id, plate.number = roads[road], numbers[road]
                plate.retired = plate.building is None and self.planted("retired_plate")
                self.plate(plate)
            self.plates += plates

    def plate(self, plate: layout.Plate) -> None:
        town = plate.township.code
        self.writer.write("doorplates", plate.record_id, "doorplate",
                          {"place_code": {"$ref": plate.road_id}, "number": str(plate.number)})
        self.truth.add(town, "doorplates_retired" if plate.retired else "doorplates_total")
        if self.planted("duplicate_plate"):
            # a later phase: the registry keeps a duplicate only once the first plate's claim is settled
            self.writer.write("buildings", self.next_id("d"), "doorplate", {
                "place_code": {"$ref": plate.road_id}, "number": str(plate.number), "allow_duplicate": True},
                duplicate_of=plate.record_id)
            self.truth.add(town, "doorplates_total")
            self.truth.add(town, "doorplates_duplicates_open")
        if plate.building:
            units, floors, per_floor = plate.building
            self.writer.write("buildings", self.next_id("b"), "building", {
                "building": "", "units": units, "floors": floors, "rooms_per_floor": per_floor}, target=plate.record_id)
            self.truth.add(town, "rooms_total", units * floors * per_floor)
        if plate.retired:
            self.writer.write("closing", self.next_id("z"), "retire_doorplate",
                              {"reason": "拆迁", "retired_on": self.as_of.isoformat()}, target=plate.record_id)
        for room in plate.houses:
            use = people.weighted(self.rng, HOUSE_USES)
            self.houses.append({"id": self.next_id("h"), "plate": plate, "room": room, "use": use,
                                "town": town, "members": [], "rooms": self.rng.randint(2, 4)})

    # -- people --------------------------------------------------------------------------------------------------
    def persons(self) -> None:
        rented = [h for h in self.houses if h["use"] == "rented"]
        own = [h for h in self.houses if h["use"] == "self_occupied"] or self.houses
        for house in rented:
            house["rental_start"] = self.days_ago(60, 900)
        self.rng.shuffle(rented)
        self.rng.shuffle(own)
        self.employable: dict[str, list[str]] = {}
        self.listable: list[tuple[str, str]] = []
        for index in range(self.plan.persons):
            category = people.weighted(self.rng, CATEGORIES)
            tenant = category in ("migrant", "foreigner") and bool(rented)
            pool = rented if tenant else own
            house = pool[index % len(pool)]
            self.person(category, house, tenant)

    def person(self, category: str, house: dict, tenant: bool) -> None:
        rng, town = self.rng, house["town"]
        record_id = self.next_id("p")
        sex = rng.choice(("male", "female"))
        adult = category in ("migrant", "foreigner") or rng.random() < 0.8
        born = people.birth_date(rng, self.as_of, 18 if adult else 1, 75 if adult else 17)
        body = self.identity(category, sex, born)
        if category == "registered":
            head = not house["members"]
            body.update(household_number=f"{town}{int(house['id'][1:]):07d}", relation_to_head="户主" if head else
                        rng.choice(("配偶", "子女", "父母", "孙子女")), lives_at_registered_address=True,
                        moved_in_on=self.days_ago(0, min(9000, (self.as_of - born).days)).isoformat(), move_in_reason=rng.choice(("出生", "购房", "婚嫁")))
        elif category == "lodger":
            start = max(self.days_ago(30, 700), born)
            body.update(lodging_type="亲属寄住", lodging_reason=rng.choice(("就学", "务工", "照顾老人")),
                        start_date=start.isoformat(), expected_leave_date=(start + timedelta(days=900)).isoformat(),
                        relation_to_owner=rng.choice(("外甥", "侄女", "表亲")), owner_name=people.chinese_name(rng))
        elif category == "migrant":
            arrival = self.arrival(house)
            body.update(residence_reason=people.weighted(rng, REASONS), arrival_date=arrival.isoformat(),
                        origin=people.ORIGIN_COUNTIES.get(body["document_number"][:6], "云南省红河州"),
                        residence_type="rental" if tenant else "resident_home", renting=tenant,
                        owner_name=people.chinese_name(rng),
                        registration_valid_until=(self.as_of + timedelta(days=rng.randint(120, 360))).isoformat())
        elif category == "foreigner":
            arrival = self.arrival(house)
            body.update(visa_type=rng.choice(("L", "Z", "F", "M")), visa_number=f"V{self.serial['p']:08d}",
                        entry_date=arrival.isoformat(), accommodation="rental" if tenant else "private_residence",
                        arrived_at=f"{arrival.isoformat()}T10:00:00+08:00", host_unit="蒙自市某边贸公司",
                        permitted_stay_until=(self.as_of + timedelta(days=rng.randint(60, 300))).isoformat())
        else:
            body.update(reason_not_registered=rng.choice(("无户籍登记材料", "超生未落户", "收养手续不全")))
        logic_error = body["document_type"] == "resident_id" and self.planted("logic_error")
        if logic_error:
            body.update(sex=people.with_wrong_sex(body["document_number"]), legacy_import=True)
        if rng.random() < RATES["phone"]:
            body["phone"] = people.phone(rng)
        body["division_code"] = town
        self.writer.write("persons", record_id, "person", body)
        cancelled = category in ("registered", "lodger") and self.planted("cancelled")
        missing = self.planted("missing_address")
        if not cancelled:  # the figures count records in use (a cancelled record counts only as cancelled)
            self.truth.add(town, "persons_logic_errors", int(logic_error))
            self.truth.add(town, "persons_phone_collected", int("phone" in body))
        if cancelled:
            self.writer.write("closing", self.next_id("x"), "cancel_person", {
                "reason": "moved_away", "cancelled_on": self.as_of.isoformat(), "remark": "迁往外地"}, target=record_id)
            self.truth.add(town, "persons_cancelled")
        else:
            self.truth.person(town, category)
        if not missing:
            self.residence(record_id, category, house, tenant, body)
            linked = not house["plate"].retired
            if linked and not cancelled:
                self.truth.add(town, "persons_linked")
        house["members"].append(record_id)
        if tenant:
            house.setdefault("tenants", []).append((record_id, body.get("arrival_date") or body["entry_date"]))
            self.truth.add(town, "tenants_current")
        if not cancelled and adult:
            self.employable.setdefault(town, []).append(record_id)
            if not missing and self.planted("key_person"):
                self.listable.append((record_id, town))
        if not cancelled and self.planted("duplicate_person"):
            duplicate = {**body, "legacy_import": True}
            duplicate.pop("phone", None)
            # a later phase: the registry keeps a legacy duplicate only once the first record's claim is settled
            self.writer.write("homes", self.next_id("q"), "person", duplicate, duplicate_of=record_id)
            self.truth.person(town, category)
            for figure in ("persons_duplicates_open", "persons_logic_errors"):
                self.truth.add(town, figure)

    def arrival(self, house: dict) -> date:
        start = house.get("rental_start") or self.days_ago(60, 900)
        return min(start + timedelta(days=self.rng.randint(0, 20)), self.as_of - timedelta(days=1))

    def identity(self, category: str, sex: str, born: date) -> dict:
        rng = self.rng
        if category == "foreigner":
            nationality = people.weighted(rng, people.NATIONALITIES)
            latin, han = people.vietnamese_name(rng) if nationality == "VNM" else rng.choice(people.OTHER_FOREIGN)
            return {"category": category, "document_type": "passport", "nationality": nationality,
                    "document_number": people.passport_number(rng, nationality, self.serial["p"]), "name": han,
                    "foreign_name": latin, "sex": sex, "birth_date": born.isoformat()}
        if category == "unregistered":
            return {"category": category, "document_type": "other", "document_number": f"N53{self.serial['p']:08d}",
                    "name": people.chinese_name(rng), "sex": sex, "birth_date": born.isoformat(),
                    "ethnicity": people.weighted(rng, people.ETHNICITIES)}
        if category == "migrant":
            region = rng.choice(people.PREFECTURE_COUNTIES + tuple(people.ORIGIN_COUNTIES))
        else:
            region = rng.choice(people.LOCAL_COUNTIES) if born.year < 2010 else "532503"
        number = self.ids.make(region, born, sex, rng)
        return {"category": category, "document_type": "resident_id", "document_number": number,
                "name": people.chinese_name(rng), "sex": sex, "birth_date": born.isoformat(),
                "ethnicity": people.weighted(rng, people.ETHNICITIES),
                "household_registration": {"division_code": region, "detail": "户籍地址"}}

    def residence(self, person_id: str, category: str, house: dict, tenant: bool, body: dict) -> None:
        moved_in = body.get("moved_in_on") or body.get("start_date") or body.get("arrival_date") or body.get("entry_date")
        self.writer.write("homes", self.next_id("s"), "residence", {
            "address_code": self.address_of(house),
            "moved_in": max(moved_in or self.days_ago(100, 3000).isoformat(), body["birth_date"]),
            "reason": "租住" if tenant else "居住", "residence_type": "rental" if tenant else
            ("lodging" if category == "lodger" else "own")}, target=person_id)

    @staticmethod
    def address_of(house: dict) -> dict:
        plate, room = house["plate"], house["room"]
        return {"$ref": plate.record_id} if room is None else {"$room": [plate.record_id, *room]}

    # -- houses, rentals ---------------------------------------------------------------------------------------
    def homes(self) -> None:
        rng = self.rng
        for house in self.houses:
            town, plate = house["town"], house["plate"]
            owner = {"person_id": {"$ref": house["members"][0]}} if house["use"] != "rented" and house["members"] \
                else {"name": people.chinese_name(rng)}
            self.writer.write("homes", house["id"], "house", {
                "address_code": self.address_of(house), "use": house["use"],
                "property_nature": "commercial" if house["room"] else "private",
                "area": float(rng.randint(40, 160)), "rooms": house["rooms"], "owner": owner})
            self.truth.add(town, "houses_total")
            if not plate.retired:
                self.truth.add(town, "houses_linked")
            if house["use"] != "rented":
                continue
            rental = self.next_id("l")
            lessor = owner if "name" in owner else {"name": people.chinese_name(rng)}
            self.writer.write("rentals", rental, "rental", {
                "lessor": lessor, "lessor_role": "owner", "rooms_let": house["rooms"],
                "monthly_rent": float(rng.randrange(600, 3000, 100)), "start": house["rental_start"].isoformat(),
                "security_person": lessor}, target=house["id"])
            self.truth.add(town, "houses_rented")
            for person, moved_in in house.get("tenants", []):
                self.writer.write("links", self.next_id("t"), "tenant", {"person_id": {"$ref": person},
                                  "moved_in": moved_in}, target=house["id"], rental=rental)
            if self.planted("unchecked_rental"):
                self.truth.add(town, "rentals_not_checked_this_month")
            else:
                check = self.next_id("k")
                self.writer.write("links", check, "check", {
                    "checked_on": self.as_of.isoformat(), "anyone_home": True, "remark": f"日常检查 {check}"},
                    target=house["id"])

    # -- units ---------------------------------------------------------------------------------------------------
    def units(self) -> None:
        rng = self.rng
        by_town: dict[str, list[layout.Plate]] = {}
        for plate in self.plates:
            by_town.setdefault(plate.township.code, []).append(plate)
        towns = sorted(by_town)
        weights = [sum(len(p.houses) for p in by_town[t]) for t in towns]
        for town, count in zip(towns, split(self.plan.units, weights)):
            for _ in range(count):
                self.unit(town, rng.choice(by_town[town]))

    def unit(self, town: str, plate: layout.Plate) -> None:
        rng = self.rng
        unit_id = self.next_id("u")
        special = self.planted("special_trade")
        trade, industry = rng.choice(TRADES) if special else (None, None)
        industry, word = (industry, special_trades.get(trade).name) if special else rng.choice(INDUSTRIES)
        individual = not special and rng.random() < 0.55
        opened = self.days_ago(400, 5000)
        self.writer.write("rentals", unit_id, "unit", {
            "name": f"蒙自{layout.place_name(self.serial['u'], '')}{word}{'店' if individual else '有限公司'}",
            "uscc": self.uscc("92" if individual else "91"), "industry_code": industry,
            "unit_type": "individual_business" if individual else "enterprise", "address_code": {"$ref": plate.record_id},
            "phone": f"0873-{rng.randrange(10**7):07d}", "opened_on": opened.isoformat()})
        self.truth.add(town, "units_total")
        if not plate.retired:
            self.truth.add(town, "units_linked")
        staff = self.employable.get(town, [])
        for _ in range(min(len(staff), rng.choice((0, 1, 2, 2, 3, 4)))):
            person = staff.pop(rng.randrange(len(staff)))
            self.writer.write("links", self.next_id("e"), "employee", {
                "person_id": {"$ref": person}, "position": rng.choice(("店员", "经理", "会计", "前台", "技工")),
                "hired": self.days_ago(10, 700).isoformat()}, target=unit_id)
            self.truth.add(town, "employees_current")
        if not special:
            return
        cycle = special_trades.get(trade).inspection_cycle_days
        self.truth.add(town, "units_special_trade")
        overdue = self.planted("overdue_inspection")
        since = self.as_of - timedelta(days=cycle + (rng.randint(15, 90) if overdue else rng.randint(60, 400)))
        self.writer.write("links", self.next_id("y"), "trade", {"trade": trade, "since": since.isoformat()},
                          target=unit_id)
        if overdue:
            self.truth.add(town, "special_trade_inspections_overdue")
            return
        inspection = self.next_id("i")
        self.writer.write("follow_ups", inspection, "inspection", {
            "inspected_on": (self.as_of - timedelta(days=rng.randint(0, cycle - 10))).isoformat(),
            "findings": f"例行检查未发现问题 {inspection}"}, target=unit_id)

    def uscc(self, kind: str) -> str:
        organisation = f"{self.serial['u'] + 10_000_000:08d}"
        body = f"{kind}532503{organisation}{uscc.organisation_check(organisation) or '0'}"
        return body + uscc.check_character(body)

    # -- key persons -------------------------------------------------------------------------------------------
    def key_persons(self) -> None:
        categories = sorted(key_person_categories())
        for person, town in self.listable:
            listing = self.next_id("kp")
            self.writer.write("links", listing, "key_person", {
                "person_id": {"$ref": person}, "category_code": self.rng.choice(categories), "problem": "列管核查",
                "responsible_unit": "蒙自市公安局", "responsible_officer": "PC-0001", "control_level": "2"})
            self.writer.write("follow_ups", self.next_id("ka"), "approve_key_person", {"remark": "同意列管"},
                              target=listing)
            self.truth.add(town, "key_persons_listed")


def generate(out: Path, persons: int = REAL_CITY_PERSONS, seed: int = 2017, as_of: date | None = None,
             chunk: int = 10_000) -> dict:
    """Write the city under ``out`` (manifest.json, truth.json, records/) and answer the manifest."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    city = City(Plan(persons, seed, as_of), out, chunk)
    city.addresses()
    city.persons()
    city.homes()
    city.units()
    city.key_persons()
    files = city.writer.close()
    truth = {"as_of": city.as_of.isoformat(), "seed": seed, "persons": persons, "rates": RATES,
             "divisions": city.truth.divisions()}
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    manifest = {"persons": persons, "seed": seed, "as_of": city.as_of.isoformat(), "files": files,
                "records": dict(sorted(city.writer.counts.items())), "total": sum(city.writer.counts.values()),
                "seconds": round(time.monotonic() - started, 1)}
    (out / "manifest.json").write_text(json.dumps({**manifest, "seconds": None}, ensure_ascii=False, indent=1),
                                       encoding="utf-8")
    return manifest
