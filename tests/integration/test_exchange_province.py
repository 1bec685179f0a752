"""The provincial exchange on the real stack (docs/EXCHANGE.md): province feed messages → the mapper → exchange
topics → Kafka Connect's JDBC sink → rows in PostgreSQL; a second change updates the row, a redelivery does not
duplicate it, a record the target's standard refuses is listed as a dead letter, and the reconciliation report
matches until a difference is planted in the target.

Each run writes into its own database (province_<namespace>) through its own connector, so runs do not mix.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date

import httpx
import psycopg
import pytest

from contracts.feeds import FeedMessage, feed_topic
from services.exchange import connector
from services.exchange.dead_letters import list_dead_letters
from services.exchange.mapping import load
from services.exchange.reconcile import report
from services.exchange.relay import ProvinceRelay, ensure_exchange_topics
from services.exchange.settings import SUBSCRIBER, ExchangeSettings
from services.kernel.base.timeouts import cancel_and_wait
from services.kernel.messaging.runtime import kafka_producer
from tests.integration.test_feeds import person_client  # noqa: F401 - fixture: the person service in-process
from tests.integration.test_person_api import POLICE, person_body, register

pytestmark = pytest.mark.timeout(600)

DEADLINE = 180  # s: the Connect worker is shared by every run on a machine of 2 cores


def _division() -> str:
    """A township code of this run alone (12 characters, the target's 管辖单位 length)."""
    return f"532503001{random.randint(0, 999):03d}"


@pytest.fixture(scope="module")
async def province(settings):
    """The exchange of this run: its own target database, connector and mapper."""
    base = ExchangeSettings()
    database = f"province_{settings.namespace}".lower()
    try:
        httpx.get(f"{base.connect_url}/connector-plugins", timeout=10).raise_for_status()
        psycopg.connect(base.target_dsn, connect_timeout=10).close()
    except (httpx.HTTPError, psycopg.OperationalError) as exc:
        pytest.fail(f"the exchange's stack is not up ({exc}): `make up` starts PostgreSQL and Kafka Connect "
                    "(YBSS_STACK_EXCHANGE=0 leaves them out)")
    with psycopg.connect(base.target_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    exchange = base.model_copy(update={"target_dsn": base.target_dsn.rsplit("/", 1)[0] + "/" + database,
                                       "max_retries": 2})
    mapping = load()
    await ensure_exchange_topics(mapping, settings)
    connector.register(mapping, exchange, settings.namespace)
    relay = ProvinceRelay(mapping, settings)
    task = asyncio.create_task(relay.run())
    try:
        yield mapping, exchange
    finally:
        await cancel_and_wait(task)
        connector.remove(exchange, settings.namespace)
        with psycopg.connect(base.target_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def publish(settings, *messages: FeedMessage) -> None:
    """What the feed publisher does: the record's state on the province's feed topic, keyed by record id."""
    producer = kafka_producer(settings)
    await producer.start()
    try:
        for message in messages:
            topic = feed_topic(message.entity, settings.namespace, SUBSCRIBER)
            await producer.send_and_wait(topic, message.model_dump_json().encode(), key=message.key())
    finally:
        await producer.stop()


def person(division: str, version: int = 1, name: str = "王建国", sex: str = "male") -> FeedMessage:
    person_id = f"P-{division}"
    return FeedMessage(entity="person", record_id=person_id, version=version, context="person",
                       grant=["id_number", "key_person", "name", "phone"],
                       state={"person_id": person_id, "category": "migrant", "document_type": "resident_id",
                              "document_number": "511602199208154517", "name": name, "sex": sex,
                              "birth_date": "1992-08-15", "phone": "+8613800000000", "division_code": division,
                              "status": "active"})


def house(division: str) -> FeedMessage:
    return FeedMessage(entity="house", record_id=f"H-{division}", version=1, context="house", grant=[],
                       state={"house_id": f"H-{division}", "address_code": f"{division}-0018", "use": "rented",
                              "property_nature": "private", "area": 86.5, "rooms": 3, "key_house": False,
                              "owner": {"name": "赵强"}, "division_code": division})


def unit(division: str) -> FeedMessage:
    return FeedMessage(entity="unit", record_id=f"U-{division}", version=1, context="unit", grant=[],
                       state={"unit_id": f"U-{division}", "name": "天马路便利店", "unit_type": "individual_business",
                              "uscc": "92532503MA6K0000X1", "industry_code": "F5211", "address_code": f"{division}-0018",
                              "division_code": division, "status": "open", "opened_on": "2024-03-01"})


def rows(exchange: ExchangeSettings, table: str, key_column: str, key: str) -> list[dict]:
    with psycopg.connect(exchange.target_dsn) as connection:
        try:
            cursor = connection.execute(f"SELECT * FROM {table} WHERE {key_column} = %s", (key,))
        except psycopg.errors.UndefinedTable:
            return []
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


async def until(probe, what: str):
    """Poll ``probe`` (sync, returns a truthy value when done) until DEADLINE."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = await asyncio.to_thread(probe)
        if found:
            return found
        await asyncio.sleep(1)
    raise AssertionError(f"not within {DEADLINE} s: {what}")


async def test_changes_become_rows_updated_in_place(settings, province):
    _, exchange = province
    division = _division()
    await publish(settings, person(division), house(division), unit(division))

    [row] = await until(lambda: rows(exchange, "t_syrk", "rybh", f"P-{division}"), "the person's row")
    assert (row["xm"], row["xb"], row["rylb"], row["csrq"], row["zjlx"], row["gxdw"], row["bbh"]) == (
        "王建国", "1", "30", "19920815", "111", division, 1)
    assert row["lxdh"] == "8613800000000"
    [house_row] = await until(lambda: rows(exchange, "t_syfw", "fwbh", f"H-{division}"), "the house's row")
    assert (house_row["fwyt"], house_row["fwxz"], house_row["jzmj"], house_row["fzxm"], house_row["zdfw"],
            house_row["zt"]) == ("20", "2", 86.5, "赵强", "0", "1")
    [unit_row] = await until(lambda: rows(exchange, "t_sydw", "dwbh", f"U-{division}"), "the unit's row")
    assert (unit_row["dwmc"], unit_row["dwlx"], unit_row["kyrq"], unit_row["zt"]) == ("天马路便利店", "2", "20240301", "1")

    # a second change updates the row in place; the same change delivered again changes nothing
    renamed = person(division, version=2, name="王建军")
    await publish(settings, renamed)
    [row] = await until(lambda: [r for r in rows(exchange, "t_syrk", "rybh", f"P-{division}") if r["bbh"] == 2],
                        "the person's second version")
    assert row["xm"] == "王建军"
    await publish(settings, renamed, renamed, person(division, version=1, name="旧状态"))  # a stale state too
    marker = unit(division).model_copy(update={"version": 2, "state": {**unit(division).state, "name": "标记"}})
    await publish(settings, marker)  # delivered after the redelivery on the same worker task: a fence
    await until(lambda: [r for r in rows(exchange, "t_sydw", "dwbh", f"U-{division}") if r["dwmc"] == "标记"],
                "the unit's marker change")
    assert [(r["xm"], r["bbh"]) for r in rows(exchange, "t_syrk", "rybh", f"P-{division}")] == [("王建军", 2)]

    # a restarted mapper knows the versions the rows have from the exchange topics
    mapping, _ = province
    restarted = ProvinceRelay(mapping, settings)
    await restarted.load_held()
    topic = f"{settings.namespace}.exchange.province.t_syrk"
    assert [v for (t, key), v in restarted.held.items() if t == topic and f"P-{division}".encode() in key] == [2]


async def test_a_person_registered_and_corrected_in_ybss_is_a_row_of_the_target(person_client, settings,  # noqa: F811
                                                                              province):
    """The whole way: the person registry's command, its feed (the province's grant: the name whole), the mapper,
    Connect, PostgreSQL."""
    _, exchange = province
    body = person_body("migrant")
    person_id = (await register(person_client, body))["person_id"]
    [row] = await until(lambda: rows(exchange, "t_syrk", "rybh", person_id), "the registered person's row")
    assert (row["xm"], row["zjhm"], row["rylb"], row["bbh"]) == (body["name"], body["document_number"], "30", 1)
    assert row["gxdw"].startswith("532503")

    response = await person_client.post(f"/v1/persons/{person_id}/corrections", headers=POLICE, json={
        "changes": {"name": "王建业"}, "reason_code": "01", "remark": "交换测试", "expected_version": 1})
    assert response.status_code == 200, response.text
    [row] = await until(lambda: [r for r in rows(exchange, "t_syrk", "rybh", person_id) if r["bbh"] >= 2],
                        "the corrected person's row")
    assert row["xm"] == "王建业"


async def test_a_refused_record_is_a_dead_letter_naming_the_element(settings, province):
    _, exchange = province
    division = _division()
    # 性别 is mandatory in the target standard and "unknown" is not in its code table (GB/T 2261.1 here)
    await publish(settings, person(division, sex="unknown"))

    def listed():
        entries = asyncio.run(list_dead_letters(settings, load(), limit=1000))
        return [e for e in entries if e["key"] and e["key"].get("payload", {}).get("rybh") == f"P-{division}"]

    [entry] = await until(listed, "the refused person in the dead-letter list")
    assert entry["topic"] == f"{settings.namespace}.exchange.province.t_syrk"
    assert "null" in entry["error"].lower()
    assert entry["missing_required"] == ["xb"]
    assert rows(exchange, "t_syrk", "rybh", f"P-{division}") == []


async def test_reconciliation_matches_then_shows_a_planted_difference(settings, province, monkeypatch, capsys):
    mapping, exchange = province
    division = _division()
    await publish(settings, person(division), house(division), unit(division))
    [row] = await until(lambda: rows(exchange, "t_syrk", "rybh", f"P-{division}"), "the person's row")
    await until(lambda: rows(exchange, "t_sydw", "dwbh", f"U-{division}"), "the unit's row")
    await until(lambda: rows(exchange, "t_syfw", "fwbh", f"H-{division}"), "the house's row")
    day = date(int(row["gxsj"][:4]), int(row["gxsj"][4:6]), int(row["gxsj"][6:8]))

    def ours(result: dict) -> dict:
        return {t["table"]: next(d for d in t["divisions"] if d["division"] == division) for t in result["tables"]}

    before = ours(await report(mapping, settings, exchange, day))
    for table in ("t_syrk", "t_syfw", "t_sydw"):
        assert before[table]["matches"], before[table]
        assert before[table]["ybss"] == before[table]["target"]
        assert before[table]["ybss"]["count"] == 1

    with psycopg.connect(exchange.target_dsn, autocommit=True) as connection:
        connection.execute("UPDATE t_syrk SET xm = '篡改' WHERE rybh = %s", (f"P-{division}",))
        connection.execute("DELETE FROM t_sydw WHERE dwbh = %s", (f"U-{division}",))
    after = ours(await report(mapping, settings, exchange, day))
    assert not after["t_syrk"]["matches"]
    assert after["t_syrk"]["differing_keys"] == [f"P-{division}"]
    assert after["t_syrk"]["ybss"]["count"] == after["t_syrk"]["target"]["count"] == 1
    assert after["t_syrk"]["ybss"]["checksum"] != after["t_syrk"]["target"]["checksum"]
    assert (after["t_sydw"]["ybss"]["count"], after["t_sydw"]["target"]["count"]) == (1, 0)
    assert after["t_sydw"]["differing_keys"] == [f"U-{division}"]
    assert after["t_syfw"]["matches"]

    # the operator's command says the same: exit 1 on a difference, 2 on a day that is not a date
    from services.exchange.settings import get_exchange_settings
    from services.kernel.operations.cli import main

    monkeypatch.setenv("YBSS_EXCHANGE_TARGET_DSN", exchange.target_dsn)
    get_exchange_settings.cache_clear()
    try:
        assert await asyncio.to_thread(main, ["exchange", "reconcile", "--day", day.isoformat()]) == 1
        assert f'"differing_keys": [\n            "P-{division}"' in capsys.readouterr().out
        assert main(["exchange", "reconcile", "--day", "2026-02-30"]) == 2
        assert "--day '2026-02-30': a date YYYY-MM-DD" in capsys.readouterr().err
    finally:
        get_exchange_settings.cache_clear()


async def test_a_row_the_database_refuses_waits_and_arrives_once_fixed(settings, province):
    """Debezium's sink has no dead-letter path for the database's own refusals: the task fails after its retries,
    nothing is skipped, and once the cause is fixed a restart writes the row (docs/EXCHANGE.md)."""
    _, exchange = province
    division = _division()
    await publish(settings, person(division))
    await until(lambda: rows(exchange, "t_syrk", "rybh", f"P-{division}"), "the person's row")
    with psycopg.connect(exchange.target_dsn, autocommit=True) as connection:
        connection.execute("ALTER TABLE t_syrk ADD CONSTRAINT no_test_name CHECK (xm <> '拒收')")
    try:
        await publish(settings, person(division, version=2, name="拒收"))

        def failed():
            tasks = connector.status(exchange, settings.namespace)["tasks"]
            return [task for task in tasks if task["state"] == "FAILED"]

        [task] = await until(failed, "the task failed on the database's refusal")
        assert "no_test_name" in task["trace"]
        assert [r["bbh"] for r in rows(exchange, "t_syrk", "rybh", f"P-{division}")] == [1]
    finally:
        with psycopg.connect(exchange.target_dsn, autocommit=True) as connection:
            connection.execute("ALTER TABLE t_syrk DROP CONSTRAINT no_test_name")
    connector.restart_failed(exchange, settings.namespace)
    [row] = await until(lambda: [r for r in rows(exchange, "t_syrk", "rybh", f"P-{division}") if r["bbh"] == 2],
                        "the refused change written after the restart")
    assert row["xm"] == "拒收"
