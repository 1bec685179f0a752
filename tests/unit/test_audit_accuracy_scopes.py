"""准确率 per community: a community's 24-digit code is matched on the sampled stratum (it never prefixes a record's
9-digit township code, so community accuracy used to be empty); a county's records held in no township are
matched exactly, not with every township's."""

from __future__ import annotations

from services.audit.domain.accuracy import accuracy_by_collector, overall

COMMUNITY = "532503001" + "31" + "0" * 13
CAMPAIGN = {"items": [
    {"stream_id": "person-1", "stratum": COMMUNITY, "division_code": "532503001"},
    {"stream_id": "person-2", "stratum": "532503001", "division_code": "532503001"},
    {"stream_id": "person-3", "stratum": "532503", "division_code": "532503"}],
    "inspections": {
        "person-1": {"verdicts": [{"field": "name", "verdict": "correct"}, {"field": "phone", "verdict": "wrong"}]},
        "person-2": {"verdicts": [{"field": "name", "verdict": "correct"}]},
        "person-3": {"verdicts": [{"field": "name", "verdict": "correct"}]}}}


def test_community_accuracy_is_the_community_records():
    community = overall([CAMPAIGN], COMMUNITY)
    assert (community["fields"]["correct"], community["fields"]["inspected"]) == (1, 2)
    assert (community["records"]["correct"], community["records"]["inspected"]) == (0, 1)


def test_the_township_outside_its_communities_and_the_county_itself():
    rest = overall([CAMPAIGN], "532503001", exact=True, stratum=True)
    assert rest["records"]["inspected"] == 1 and rest["records"]["correct"] == 1
    county_only = overall([CAMPAIGN], "532503", exact=True)
    assert county_only["records"]["inspected"] == 1
    assert overall([CAMPAIGN], "532503")["records"]["inspected"] == 3


def test_a_townships_collectors_are_judged_on_its_own_records_only():
    """A county-wide campaign inspects records of several townships: a township's assessment ranks the collectors
    of its records, not the collector of a record two townships away (it once listed one with no work there)."""
    wider = {**CAMPAIGN, "items": [*CAMPAIGN["items"], {"stream_id": "person-4", "stratum": "532503002",
                                                        "division_code": "532503002"}],
             "inspections": {**CAMPAIGN["inspections"], "person-4": {"verdicts": [{"field": "name", "verdict": "wrong"}]}}}
    collectors = {"person-1": "GW-A", "person-2": "GW-A", "person-3": "PC-COUNTY", "person-4": "GW-ELSEWHERE"}
    township = accuracy_by_collector([wider], collectors.get, "532503001")
    assert list(township) == ["GW-A"] and township["GW-A"]["records"]["inspected"] == 2
    county = accuracy_by_collector([wider], collectors.get, "532503")
    assert sorted(county) == ["GW-A", "GW-ELSEWHERE", "PC-COUNTY"]
