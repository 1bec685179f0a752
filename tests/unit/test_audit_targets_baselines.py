"""考核目标 and 采集基数 as versioned configuration: each setting or import is the next version of its stream, the
one in force is the nearest division's latest (else the notice's, version 0), a baseline names the import it
came from; a baseline file is read or refused naming its line and column."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
import io

import openpyxl
import pytest

from contracts.audit import BaselineRow, CollectionBaselinesImported
from services.audit.archive import EVENTS, NAME
from services.audit.baseline_file import MAX_ROWS, TooManyRows, rows_of
from services.audit.bootstrap import application
from services.audit.domain import baseline, targets
from services.kernel.base.errors import ConcurrencyConflict, DomainRuleViolation
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.kernel.messaging.memory_reads import InMemoryReadModels
from tests.unit.test_audit_campaigns import SUPERVISOR

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


def app_on(store):
    return application(store, InMemoryClaims(), InMemoryReadModels().read_model(NAME, EVENTS))


async def test_each_targets_setting_is_the_next_version_and_a_stale_one_is_refused():
    store = InMemoryEventStore()
    app = app_on(store)
    first = await app.set_targets("532503", {"accuracy": 0.9}, "2027方案", 0, SUPERVISOR)
    second = await app.set_targets("532503", {"accuracy": 0.97}, "", 1, SUPERVISOR)
    assert (first.stream_id, first.version, second.version) == ("targets-532503", 1, 2)
    [one, two] = await store.read_stream("targets-532503")
    assert one.payload["targets"] == {**targets.NOTICE, "accuracy": 0.9} and two.payload["targets"]["accuracy"] == 0.97
    with pytest.raises(ConcurrencyConflict):
        await app.set_targets("532503", {"accuracy": 0.5}, "", 1, SUPERVISOR)


@pytest.mark.parametrize("given, rule", [({}, "targets.empty"), ({"speed": 0.9}, "targets.unknown_rate"),
                                         ({"accuracy": 0}, "targets.out_of_range"),
                                         ({"accuracy": 1.5}, "targets.out_of_range")])
def test_targets_out_of_the_rules_are_refused_naming_the_rule(given, rule):
    with pytest.raises(DomainRuleViolation) as refused:
        targets.validated(given)
    assert (refused.value.field, refused.value.rule) == ("targets", rule)


def test_the_nearest_division_s_targets_are_in_force_else_the_notice_s_as_version_0():
    settings = [{"division_code": "5325", "version": 3, "targets": {**targets.NOTICE, "accuracy": 0.9}},
                {"division_code": "532503", "version": 2, "targets": {**targets.NOTICE, "accuracy": 0.97}}]
    assert targets.in_force(settings, "532503001")["version"] == 2
    assert targets.in_force(settings, "532503001")["targets"]["accuracy"] == 0.97
    assert targets.in_force(settings, "532502001")["version"] == 3
    notice = targets.in_force(settings, "530100")
    assert (notice["version"], notice["targets"], notice["source"]) == (0, targets.NOTICE, "notice")


async def test_each_import_is_the_next_version_and_the_latest_figure_is_in_force_naming_its_version():
    store = InMemoryEventStore()
    app = app_on(store)

    def imported(value: int) -> CollectionBaselinesImported:
        return CollectionBaselinesImported(division_code="532503001", rows=[
            BaselineRow(division_code="532503001", metric="persons_total", value=value, source="普查")], sha256="x")

    assert (await app.import_baselines(imported(1300), None, SUPERVISOR)).version == 1
    assert (await app.import_baselines(imported(1350), 1, SUPERVISOR)).version == 2
    with pytest.raises(ConcurrencyConflict):
        await app.import_baselines(imported(1), 1, SUPERVISOR)
    imports = [{"division_code": "532503001", "version": n, "recorded_at": T0 + timedelta(days=n),
                "rows": [{"division_code": "532503001", "metric": "persons_total", "value": value, "source": ""},
                         {"division_code": "532503001001", "metric": "houses_total", "value": 40, "source": "户籍"}]}
               for n, value in ((1, 1300), (2, 1350))]
    single = [{"division_code": "532503001", "metric": "units_total", "value": 9, "recorded_at": T0}]
    table = baseline.in_force(imports, single, "532503001")
    assert table["532503001"]["persons_total"]["value"] == 1350 and table["532503001"]["persons_total"]["version"] == 2
    assert table["532503001"]["units_total"]["version"] is None  # set alone, not imported
    assert table["532503001001"]["houses_total"]["source"] == "户籍"
    later_single = [{**single[0], "metric": "persons_total", "value": 1400, "recorded_at": T0 + timedelta(days=5)}]
    assert baseline.in_force(imports, later_single)["532503001"]["persons_total"]["value"] == 1400
    assert baseline.in_force(imports, [], "532504") == {}


def test_a_csv_or_xlsx_file_reads_into_rows_with_chinese_headers_too():
    csv_text = "区划代码,指标,基数,来源\n532503001,persons_total,\"1,300\",第七次全国人口普查\n\n532503001001,houses_total,40,户籍\n"
    rows = rows_of(csv_text.encode("gb18030"), "532503001")
    assert [(r.division_code, r.metric, r.value, r.source) for r in rows] == [
        ("532503001", "persons_total", 1300, "第七次全国人口普查"), ("532503001001", "houses_total", 40, "户籍")]
    book = openpyxl.Workbook()
    book.active.append(["division_code", "metric", "value"])
    book.active.append(["532503001", "units_total", 12.0])
    data = io.BytesIO()
    book.save(data)
    assert rows_of(data.getvalue(), "532503")[0].value == 12


@pytest.mark.parametrize("body, field, rule", [
    ("division_code,metric\n", "file", "baselines.columns"),
    ("division_code,metric,value\n", "file", "baselines.empty"),
    ("division_code,metric,value\n5325,persons_total,1\n", "rows.2.division_code", "baselines.division_code"),
    ("division_code,metric,value\n532502001,persons_total,1\n", "rows.2.division_code", "baselines.outside_scope"),
    ("division_code,metric,value\n532503001,persons_phone_rate,1\n", "rows.2.metric", "baselines.unknown_metric"),
    ("division_code,metric,value\n532503001,persons_total,1.5\n", "rows.2.value", "baselines.value"),
    ("division_code,metric,value\n532503001,persons_total,1\n532503001,persons_total,2\n", "rows.3.metric",
     "baselines.duplicate"),
    ("\x00PK", "file", "baselines.columns")])
def test_a_bad_file_is_refused_naming_the_line_and_column(body, field, rule):
    with pytest.raises(DomainRuleViolation) as refused:
        rows_of(body.encode(), "532503")
    assert (refused.value.field, refused.value.rule) == (field, rule)
    if field != "file":
        assert refused.value.as_detail()["loc"] == ["body", *field.split(".")]


def test_more_rows_than_an_import_takes_is_too_large():
    body = "division_code,metric,value\n" + "".join(f"532503{n:06d},persons_total,1\n" for n in range(MAX_ROWS + 1))
    with pytest.raises(TooManyRows):
        rows_of(body.encode(), "532503")


def test_the_monthly_report_ranks_against_the_configured_targets_and_names_their_version():
    from services.audit.report.model import build
    from services.audit.report.wording import target_version

    subs = {"532503001": {"name": "甲", "persons_collection_rate": 0.96},
            "532503002": {"name": "乙", "persons_collection_rate": 0.99}}
    current = {"as_of": "2026-11-30T15:59:59+00:00", "by_sub_division": subs}
    notice = build("2026-11", "532503", current, {})
    configured = build("2026-11", "532503", current, {}, configured=targets.in_force(
        [{"division_code": "532503", "version": 4, "targets": {"persons_collection_rate": 0.98}}], "532503"))
    rows = lambda report: {r["division_code"]: r for r in report["entities"]["person"]["rows"]}  # noqa: E731
    assert rows(notice)["532503001"]["below_target"] == [] and notice["targets"]["persons_collection_rate"] == 0.95
    assert rows(configured)["532503001"]["below_target"] == ["persons_collection_rate"]
    assert configured["targets"]["persons_collection_rate"] == 0.98 and configured["targets"]["accuracy"] == 0.95
    assert rows(configured)["532503001"]["attainment"] == round(0.96 / 0.98, 4)
    assert target_version(notice) == "目标：通知要求（版本 0）"
    assert target_version(configured) == "目标：532503 设定的第 4 版"


@pytest.mark.parametrize("body", [b"PK\x03\x04 not a zip at all", b"division_code,metric,value\n" + b"x" * 200_000])
def test_an_unreadable_file_is_a_422_on_the_file_not_a_server_error(body):
    with pytest.raises(DomainRuleViolation) as refused:
        rows_of(body, "532503")
    assert refused.value.field == "file"
