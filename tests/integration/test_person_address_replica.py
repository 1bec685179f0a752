"""The address replica (services/replicas/address.py) fed by the real address service's events.

It must follow what the address registry does without calling it: a renamed road shows its new name on the
door plates under it, a merged plate answers with its survivor, a retired plate is refused.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from services.kernel.base.errors import DomainRuleViolation
from services.replicas.address import address_replica, lookup_address, require_usable_address
from services.kernel.messaging.runtime import Runtime
from tests.integration.address_helpers import TOWNSHIP, read_doorplate, register_doorplate
from tests.integration.conftest import unique_name

pytestmark = pytest.mark.integration


async def eventually(probe, check, timeout: float = 30.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if check(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


@pytest.fixture
async def replica(settings):
    projection = address_replica(f"test-replica-{uuid.uuid4().hex[:6]}")
    runtime = Runtime(settings, "replicatest", [projection])
    await runtime.start()
    yield runtime.read_model(projection.name, projection.name)
    await runtime.stop()


async def test_replica_follows_rename_merge_and_retirement(address_client, police_headers, replica):
    road = unique_name()
    first = await register_doorplate(address_client, police_headers, road, "18")
    duplicate = await register_doorplate(address_client, police_headers, road, "20")
    doomed = await register_doorplate(address_client, police_headers, road, "22")
    known = await eventually(lambda: lookup_address(replica, doomed["code"]), lambda a: a is not None)
    assert known.kind == "doorplate" and known.usable and known.full_name.endswith(f"{road}22号")
    assert known.division_code == TOWNSHIP

    plate = await read_doorplate(address_client, police_headers, first)
    renamed = unique_name("大道")
    response = await address_client.post(f"/v1/places/{plate['place_code']}/rename", json={"new_name": renamed},
                                         headers=police_headers)
    assert response.status_code == 200, response.text
    response = await address_client.post(f"/v1/doorplates/{duplicate['code']}/merge",
                                         json={"survivor_code": first["code"]}, headers=police_headers)
    assert response.status_code == 200, response.text
    response = await address_client.post(f"/v1/doorplates/{doomed['code']}/retire", json={"reason": "拆迁"},
                                         headers=police_headers)
    assert response.status_code == 200, response.text

    followed = await eventually(lambda: lookup_address(replica, duplicate["code"]),
                                lambda a: a is not None and a.redirected_from is not None and a.place_name == renamed)
    assert followed.code == first["code"] and followed.redirected_from == duplicate["code"]
    assert followed.full_name.endswith(f"{renamed}18号") and followed.usable

    retired = await eventually(lambda: lookup_address(replica, doomed["code"]), lambda a: a.status == "retired")
    assert retired.status == "retired"
    with pytest.raises(DomainRuleViolation) as refused:
        await require_usable_address(replica, doomed["code"])
    assert refused.value.rule == "address.retired" and refused.value.field == "address_code"
    with pytest.raises(DomainRuleViolation) as unknown:
        await require_usable_address(replica, "532503001509999999999999")
    assert unknown.value.rule == "address.unknown"
