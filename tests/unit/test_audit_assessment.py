"""考核: what a record adds to the assessment (collected, corrections, registration timeliness), kept by the
incremental figures exactly as the re-fold counts it; rates, 达标程度 and rankings by rates, not totals."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone

from services.audit.domain import assessment
from services.audit.domain.metrics import address_lookup, sub_division, tally
from services.audit.views.quality import counted
from tests.audit_town import COUNTY, TOWNSHIPS, build
from tests.unit.figures_fakes import FakeFigures, interleave, refold
from tests.unit.test_audit_figures import end_of

BEIJING = timezone(timedelta(hours=8))


def migrant(arrival: str, renting: bool = True) -> dict:
    return {"category": "migrant", "status": "active",
            "details": {"category": "migrant", "arrival_date": arrival, "renting": renting}}


def test_a_renting_migrant_is_due_within_3_days_a_foreigner_outside_a_hotel_within_24_hours():
    registered = datetime(2026, 12, 4, 10, tzinfo=BEIJING)
    assert assessment.registration(migrant("2026-12-01"), registered) == assessment.ON_TIME  # the 3rd day after
    assert assessment.registration(migrant("2026-11-30"), registered) == assessment.LATE
    assert assessment.registration(migrant("2026-11-01", renting=False), registered) is None  # no deadline
    foreigner = {"category": "foreigner", "details": {"accommodation": "rental", "arrived_at": "2026-12-03T09:00:00+08:00"}}
    assert assessment.registration(foreigner, registered) == assessment.LATE  # 25 hours
    assert assessment.registration({**foreigner, "details": {**foreigner["details"], "accommodation": "hotel"}},
                                   registered) is None
    assert assessment.registration({"category": "registered"}, registered) is None


def test_a_record_adds_its_collection_its_corrections_and_its_timeliness_under_who_did_them():
    facts = assessment.carried(None, "Person", "PersonRegistered", 1, "GW-A",
                               datetime(2026, 12, 5, 1, tzinfo=timezone.utc), migrant("2026-11-20"))
    facts = assessment.carried(facts, "Person", "PersonCorrected", 2, "GW-B",
                               datetime(2026, 12, 31, 17, tzinfo=timezone.utc), {})  # 2027-01-01 in Beijing
    assert facts == {"registration": "registered_late", "corrections": [["2027-01-01", "GW-B"]]}
    added = assessment.contribution("Person", facts, "GW-A", "2026-12-05")
    assert assessment.of_month(added, "2026-12") == {"GW-A": Counter(collected_persons=1, registered_late=1)}
    assert assessment.of_month(added, "2027-01") == {"GW-B": Counter(corrections=1)}
    assert assessment.contribution("Place", {}, "GW-A", "2026-12-05") == Counter()  # roads are not 一标三实 records
    assert assessment.parse(assessment.key("2026-12", "corrections", "id:with:colons")) == \
        ("2026-12", "corrections", "id:with:colons")


def test_rates_are_judged_against_the_targets_and_ranked_by_attainment_not_totals():
    targets = {"accuracy": 0.95, "timeliness": 1.0}
    rows = [{"collector_id": "big", "records_collected": 500,
             "accuracy": {"records": {"rate": 0.8, "inspected": 10}}, "timeliness": {"rate": 0.5}},
            {"collector_id": "small", "records_collected": 3,
             "accuracy": {"records": {"rate": 1.0, "inspected": 2}}, "timeliness": {"rate": None}},
            {"collector_id": "tied", "records_collected": 7,
             "accuracy": {"records": {"rate": 0.95, "inspected": 20}}, "timeliness": {"rate": 1.0}},
            {"collector_id": "unknown", "records_collected": 40, "accuracy": {}, "timeliness": {"rate": None}}]
    judged = [assessment.judged(row, assessment.COLLECTOR_RATES, targets) for row in rows]
    assert judged[0]["attainment"] == round((0.8 / 0.95 + 0.5) / 2, 4)
    assert judged[0]["below_target"] == ["accuracy", "timeliness"] and judged[1]["below_target"] == []
    order = assessment.ranked(judged, assessment.COLLECTOR_RATES, "collector_id")
    assert [(row["collector_id"], row["rank"]) for row in order] == [("small", 1), ("tied", 1), ("big", 3),
                                                                      ("unknown", None)]
    assert order[0]["ranks"] == {"accuracy": 1, "timeliness": None}
    assert order[1]["ranks"] == {"accuracy": 2, "timeliness": 1}


async def test_the_incremental_assessment_equals_the_refold_on_every_day_and_level():
    town = build(persons=60, seed=3)
    start = datetime(2026, 10, 1, 2, tzinfo=timezone.utc)
    for n, (arrival, actor) in enumerate((("2026-09-30", "GW-A"), ("2026-09-20", "GW-A"), ("2026-09-30", "GW-B"))):
        stream = f"person-{town.tag}-M{n}"
        town.add("Person", stream, "PersonRegistered", {
            "person_id": f"{town.tag}-M{n}", "name": "流动", "document_number": f"M-{town.tag}-{n}",
            "category": "migrant", "details": {"category": "migrant", "arrival_date": arrival, "renting": True},
            "division_code": TOWNSHIPS[n % 2]}, start + timedelta(days=n), TOWNSHIPS[n % 2], actor=actor)
        town.add("Person", stream, "PersonCorrected", {"person_id": f"{town.tag}-M{n}", "changes": {"name": "改"},
                                                       "old_values": {"name": "流动"}, "reason_code": "01"},
                 start + timedelta(days=n + 3), TOWNSHIPS[n % 2], actor="GW-C")
    figures = FakeFigures()
    for envelope in interleave(town.events, 3):
        await figures.feed(envelope)
    late = 0
    for offset in range(0, 25, 4):
        day = date(2026, 10, 1) + timedelta(days=offset)
        records = refold(town.events, day)
        lookup = address_lookup(records)
        for scope in ("", COUNTY, *TOWNSHIPS):
            inside = [r for r in records if r.division_code.startswith(scope)]
            children = await counted(figures.counters, figures.pending, scope, end_of(day))
            for child, counter in children.items():
                if child == "*":
                    continue
                expected = tally([r for r in inside if sub_division(r, scope, lookup) == child], end_of(day), lookup)
                assert assessment.of_month(counter, "2026-10") == assessment.of_month(expected, "2026-10"), \
                    (day, scope, child)
            whole = tally(inside, end_of(day), lookup)
            late += sum(row["registered_late"] for row in assessment.of_month(whole, "2026-10").values())
    final = assessment.of_month(tally(refold(town.events, date(2026, 10, 31)), end_of(date(2026, 10, 31)),
                                      address_lookup(refold(town.events, date(2026, 10, 31)))), "2026-10")
    assert final["GW-A"]["registered_late"] == 1 and final["GW-A"]["registered_on_time"] == 1
    assert final["GW-B"]["registered_on_time"] == 1 and final["GW-C"]["corrections"] == 3
    assert late > 0
