"""A duplicate registration outside the caller's jurisdiction (issue 16): 409 without the other person's id.

Reproduced as it was: registering a known ID number answered 409 "already registered as person P-…" in any
jurisdiction, to agencies too (their ingest rejection carried the same message), handing out the key."""

from __future__ import annotations

import pytest

from contracts.envelope import Actor
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.base.errors import Forbidden, StateConflict
from services.agency.ingest import reasons_of
from tests.unit.test_person_application import CTX, body, service


def scoped(org: str) -> CommandContext:
    def within(division: str | None) -> None:
        if not (division or "").startswith(org):
            raise Forbidden(f"{division} is outside {org}")
    return CommandContext(actor=Actor(id="PC-2", role="police", organisation_code=org), correlation_id="t",
                          jurisdiction=within)


async def test_inside_the_jurisdiction_the_409_names_the_person_outside_only_the_county_and_协查():
    svc, _ = service()
    accepted = await svc.register(body(), CTX)  # registered in 文澜街道, 蒙自市
    with pytest.raises(StateConflict) as inside:
        await svc.register(body(), scoped("532503"))
    assert inside.value.rule == "person.duplicate" and accepted.person_id in inside.value.message
    kaiyuan = scoped("532502")
    kaiyuan_body = body(division_code="532502")
    with pytest.raises(StateConflict) as outside:
        await svc.register(kaiyuan_body, kaiyuan)
    error = outside.value
    assert error.rule == "person.registered_elsewhere"
    assert accepted.person_id not in error.message and accepted.person_id not in error.message_zh
    assert "532503 " in error.message and "532503001" not in error.message + error.message_zh  # county, no finer
    assert "协查" in error.message and "协查" in error.message_zh
    reason = reasons_of(error)[0]  # what an agency's ingest rejection carries
    assert reason.rule == "person.registered_elsewhere" and accepted.person_id not in reason.msg + reason.msg_zh


async def test_a_legacy_duplicate_from_elsewhere_is_kept_without_naming_the_other_record():
    svc, store = service()
    accepted = await svc.register(body(), CTX)
    again = await svc.register(body(division_code="532502", legacy_import=True), scoped("532502"))
    errors = store.streams[again.stream_id][0].payload["logic_errors"]
    duplicate = next(e for e in errors if e["rule"] == "person.duplicate")
    assert accepted.person_id not in duplicate["message"] and "协查" in duplicate["message"]
