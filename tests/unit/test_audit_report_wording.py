"""The monthly report as a supervisor reads it: Beijing time in words, records held at the county apart (not
ranked as a township), townships ranked by their rates against the notice's targets, corrections listed."""

from __future__ import annotations

from html.parser import HTMLParser

from services.audit.report import html
from services.audit.report.model import build, corrections
from services.audit.report.wording import beijing, month_words, previous_month, unplaced


def test_times_are_beijing_time_in_words():
    assert beijing("2026-12-02T20:43:03.310089+00:00") == "2026年12月3日 04:43（北京时间）"
    assert month_words("2026-11") == "2026年11月" and previous_month("2026-01") == "2025-12"
    assert unplaced("532503") == "尚未落到乡镇/街道" and unplaced("532503001") == "尚未落到社区/村"
    assert unplaced("5325") == "尚未落到县（市、区）"


def figures(as_of: str, **subs) -> dict:
    return {"division_code": "532503", "name": "蒙自市", "as_of": as_of, "persons_total": sum(
        s.get("persons_total", 0) for s in subs.values()), "by_sub_division": subs}


def township(name: str, persons: int, rate: float | None, link: float | None = 1.0) -> dict:
    return {"name": name, "persons_total": persons, "persons_collection_rate": rate, "persons_link_rate": link}


def test_townships_rank_by_rates_against_targets_and_county_records_stand_apart():
    current = figures("2026-12-02T20:43:03.310089+00:00",
                      **{"532503001": township("文澜街道", 9000, 0.80), "532503002": township("雨过铺街道", 300, 0.97),
                         "532503": township("蒙自市", 50000, None, None)})
    report = build("2026-12", "532503", current, figures("2026-11-30T15:59:59.999999+00:00"))
    person = report["entities"]["person"]
    assert [row["division_code"] for row in person["rows"]] == ["532503002", "532503001"]  # rate, not size
    assert person["rows"][1]["below_target"] == ["persons_collection_rate"]
    assert [(row["division_code"], row["name"]) for row in person["not_placed"]] == [("532503", "尚未落到乡镇/街道")]

    page = html.page(report)
    text = []
    parser = HTMLParser()
    parser.handle_data = text.append
    parser.feed(page)
    words = "".join(text)
    assert "截至 2026年12月3日 04:43（北京时间）；环比：2026年11月" in words
    assert "+00:00" not in words and "尚未落到乡镇/街道" in words


def test_a_changed_figure_of_a_published_month_is_a_correction_line():
    published = figures("2026-10-31T15:59:59+00:00", **{"532503001": township("文澜街道", 10, None)})
    now = figures("2026-10-31T15:59:59+00:00", **{"532503001": township("文澜街道", 12, None)})
    lines = corrections("2026-10", published, now)
    assert [(line["row"], line["division_code"], line["published"], line["now"], line["difference"])
            for line in lines] == [("total", "532503", 10, 12, 2), ("sub_division", "532503001", 10, 12, 2)]
    report = build("2026-11", "532503", now, published, lines)
    assert "更正说明" in html.page(report) and report["corrections"] == lines


def test_the_overdue_rule_is_one_rule_day_by_day():
    """contracts.inspections: the worklist's per-trade rule, the report's per-unit count and the first overdue
    day agree on every day; a suspended unit and an inspection before the trade was taken up do not count."""
    from datetime import date, timedelta

    from contracts.inspections import earliest_due, inspection_cycles, inspections_due, overdue_for_inspection

    cycles = inspection_cycles({"hotel": 10})
    unit = {"status": "open", "special_trades": [{"trade": "hotel", "since": "2026-10-01"}],
            "inspections": [{"inspected_on": "2026-09-20"}, {"inspected_on": "2026-10-05"}]}
    due = earliest_due(unit, cycles)
    assert due == date(2026, 10, 15)
    for offset in range(-3, 4):
        day = due + timedelta(days=offset)
        assert overdue_for_inspection(unit, cycles, day) == bool(inspections_due(unit, cycles, day)) == (due < day)
    assert earliest_due({**unit, "status": "suspended"}, cycles) is None
    assert not overdue_for_inspection({**unit, "status": "suspended"}, cycles, date(2027, 1, 1))


def test_a_month_closes_at_its_last_beijing_instant_plus_the_grace():
    """Events of the month's last minutes still reach the archive and the figures: the month is published after
    YBSS_AUDIT_REPORT_FREEZE_GRACE_MINUTES (default 60), not at midnight."""
    from datetime import datetime, timezone

    from services.audit.report.monthly import closed

    assert not closed("2026-11", datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc))  # 00:30 on 1 December
    assert closed("2026-11", datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc))
    assert not closed("2026-12", datetime(2026, 12, 3, tzinfo=timezone.utc))


class Reports:
    """Just enough of the monthly_reports collection."""

    def __init__(self):
        self.documents = {}

    async def find_one(self, query):
        return self.documents.get(query["_id"])

    async def insert_one(self, document):
        self.documents[document["_id"]] = document

    async def replace_one(self, query, document, upsert=False):
        self.documents[query["_id"]] = {**document, "_id": query["_id"]}


def test_the_running_month_asks_for_one_quality_answer_and_shows_last_months_corrections():
    import asyncio
    from datetime import datetime, timedelta, timezone

    from services.audit.report.monthly import RECHECK, monthly_report

    asked, persons = [], {"2026-11": 10}

    async def quality(scope, as_of):
        asked.append(as_of)
        month = "2026-11" if as_of.month == 11 else "now"  # November's end, or today
        return figures(as_of.isoformat(), **{"532503001": township("文澜街道", persons.get(month, 12), None)})

    store, now = Reports(), datetime(2026, 12, 3, 4, 0, tzinfo=timezone.utc)
    asyncio.run(monthly_report(quality, store, "2026-11", "532503", now))  # November published: 10 persons
    persons["2026-11"] = 11  # a November event reaches the figures late
    asked.clear()
    report = asyncio.run(monthly_report(quality, store, "2026-12", "532503", now))
    assert len(asked) == 2 and report["corrections"][0]["difference"] == 1  # now, and November rechecked
    asked.clear()
    again = asyncio.run(monthly_report(quality, store, "2026-12", "532503", now + RECHECK / 2))
    assert len(asked) == 1 and again["corrections"] == report["corrections"]  # the recheck is kept a while
    asked.clear()
    asyncio.run(monthly_report(quality, store, "2026-12", "532503", now + RECHECK + timedelta(seconds=1)))
    assert len(asked) == 2
