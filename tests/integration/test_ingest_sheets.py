"""采集表 end to end on the real stack: the template an agency downloads, filled, imported with ``ybss import``,
the error workbook, fixed and imported again, and the same file once more (nothing changes)."""

from __future__ import annotations

import argparse
import io
import random
from contextlib import AsyncExitStack
from datetime import date, timedelta
from pathlib import Path

import httpx
import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from services.ingest.cli import run
from tests.integration.test_ingest_gate import CIVIL, POLICE, bearer, fresh_id, started

pytestmark = pytest.mark.integration

HEADERS = bearer(CIVIL, "agency")


@pytest.fixture(scope="module")
async def services():
    async with AsyncExitStack() as exits:
        yield {name: await started(exits, name, name) for name in ("person", "ingest")}


def person_row(number: int, **overrides) -> dict:
    born = date(1950, 1, 1) + timedelta(days=random.randint(0, 20000))
    row = {"记录编号": f"MZ-XLS-{random.randint(10**8, 10**9)}-{number}", "人员类别": "常住人口",
           "公民身份号码": fresh_id(born), "姓名": f"李{number}", "性别": "女", "出生日期": born.isoformat(),
           "民族": "汉族", "联系电话": "13800138000", "管辖地代码": "532503001", "户号": "532503001009",
           "与户主关系": "户主", "人户一致": "是"}
    return {**row, **overrides}


def fill(template: bytes, rows: list[dict]) -> bytes:
    """Type the rows into the downloaded template, as a clerk would (openpyxl keeps its formats and lists)."""
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["采集表"]
    headers = [cell.value for cell in sheet[1]]
    for r, row in enumerate(rows, start=2):
        for header, value in row.items():
            sheet.cell(row=r, column=headers.index(header) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_rows(data: bytes) -> list[dict]:
    table = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("采集表").to_python()
    return [dict(zip(table[0], row)) for row in table[1:]]


async def ybss_import(ingest, path: Path, capsys) -> dict:
    """``ybss import`` as an agency runs it, against the in-process service: its printed summary."""
    import json

    args = argparse.Namespace(file=path, agency=CIVIL, entity_type="person", url="http://ingest", token=None,
                              timeout=120, quiet=False)
    capsys.readouterr()
    await run(args, transport=httpx.ASGITransport(app=ingest.fastapi))
    printed = capsys.readouterr()
    assert "#" in printed.err  # the progress bar
    return json.loads(printed.out.strip().splitlines()[-1])


async def test_template_filled_imported_errors_fixed_and_reimported(services, tmp_path, capsys):
    ingest, person = services["ingest"], services["person"]
    response = await ingest.get("/v1/ingest/templates/person.xlsx", params={"agency": CIVIL}, headers=HEADERS)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/vnd.openxml")
    template = openpyxl.load_workbook(io.BytesIO(response.content))
    assert template.sheetnames == ["采集表", "填表说明"]
    sheet = template["采集表"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:4] == ["记录编号", "操作", "人员类别", "公民身份号码"]
    assert "居住事由" not in headers  # the agency may not publish migrant fields: its template has no such column
    id_column = next(d for d in sheet.column_dimensions.values() if d.min <= 4 <= d.max)
    assert id_column.number_format == "@"  # the ID number column is text, not 1.10105E+17
    lists = {str(v.sqref).split(":")[0][0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert "男" in lists["F"] and "常住人口" in lists["C"]

    good = [person_row(i) for i in range(3)]
    contradicting = person_row(3, 性别="男")  # the ID number says female
    unknown_sex = person_row(4, 性别="未知")
    original = tmp_path / "民政局-常住人口.xlsx"
    original.write_bytes(fill(response.content, [*good, contradicting, unknown_sex]))

    summary = await ybss_import(ingest, original, capsys)
    assert summary["done"] and (summary["accepted"], summary["rejected"]) == (3, 2), summary
    errors = sheet_rows(Path(summary["error_workbook"]).read_bytes())
    assert [row["记录编号"] for row in errors] == [contradicting["记录编号"], unknown_sex["记录编号"]]
    assert all(row["错误原因"] for row in errors)
    assert "sex" in errors[1]["错误原因"] and errors[0]["公民身份号码"] == contradicting["公民身份号码"]

    status = (await ingest.get(f"/v1/ingest/batches/{summary['batch_id']}", headers=HEADERS)).json()
    people = {row["record_id"]: (row["entity_id"], row["version"]) for row in status["accepted_records"]}
    assert set(people) == {row["记录编号"] for row in good}

    fixed = openpyxl.load_workbook(summary["error_workbook"])
    fixed_sheet = fixed["采集表"]
    sex_column = [cell.value for cell in fixed_sheet[1]].index("性别") + 1
    for r in (2, 3):
        fixed_sheet.cell(row=r, column=sex_column, value="女")
    fixed_path = tmp_path / "fixed.xlsx"
    fixed.save(fixed_path)
    again = await ybss_import(ingest, fixed_path, capsys)
    assert (again["accepted"], again["rejected"]) == (2, 0), again

    once_more = await ybss_import(ingest, original, capsys)  # the same file again changes nothing
    status = (await ingest.get(f"/v1/ingest/batches/{once_more['batch_id']}", headers=HEADERS)).json()
    assert {row["record_id"]: (row["entity_id"], row["version"]) for row in status["accepted_records"]
            if row["record_id"] in people} == people
    for entity_id, version in people.values():
        response = await person.get(f"/v1/persons/{entity_id}", params={"min_version": version}, headers=POLICE)
        assert response.json()["version"] == version


async def test_a_file_that_is_not_a_template_is_refused_naming_why(services):
    ingest = services["ingest"]
    response = await ingest.post(f"/v1/ingest/{CIVIL}/imports", params={"entity_type": "person"}, content=b"hello",
                                 headers=HEADERS)
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "sheet.unreadable"
    house_template = (await ingest.get("/v1/ingest/templates/house.xlsx", headers=HEADERS)).content
    response = await ingest.post(f"/v1/ingest/{CIVIL}/imports", params={"entity_type": "person"},
                                 content=house_template, headers=HEADERS)
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "sheet.unknown_column"
    assert response.json()["detail"][0]["msg_zh"]
