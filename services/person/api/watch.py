"""重点人员 动态管控 routes: the watch list, the alerts (list, one, live stream) and their handling.

Everything is filtered by (or checked against) the caller's jurisdiction: an alert belongs to the jurisdiction
responsible for the key person when the causing event happened.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Annotated, AsyncIterator, Literal

from fastapi import APIRouter, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field

from services.kernel.web.auth import token_expires_at
from services.kernel.web.access_trace import asked, returned
from services.kernel.web.authz import Allowed
from services.kernel.base.errors import NotFound
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.masked_responses import viewer_for
from services.kernel.base.masking import mask_tree
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.person.bootstrap import AlertHandling, Alerts, Reads
from services.person.views import watch as views

router = APIRouter(prefix="/v1/watch", tags=["key-person watch 重点人员动态管控"])
READ = ("police", "supervisor")
Rule = Annotated[str | None, Query(max_length=64, description="watch rule, e.g. hired_special_trade",
                                   examples=["hired_special_trade"])]
State = Annotated[Literal["open", "acknowledged", "resolved"] | None, Query(description="待签收 / 已签收 / 已处置")]
Since = Annotated[datetime | None, Query(description="raised at or after", examples=["2026-11-27T08:00:00+08:00"])]
POLL_SECONDS = 0.2
KEEPALIVE_SECONDS = 15.0


class Acknowledge(BaseModel):
    """签收预警."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"remark": "已通知责任民警核查"}]})
    remark: str = Field(default="", max_length=500, description="签收意见")


class Resolve(BaseModel):
    """处置预警."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"outcome": "已上门核实，系正常务工"}]})
    outcome: str = Field(min_length=1, max_length=1000, description="处置结果")


@router.get("/key-persons", summary="Watch list 重点人员动态管控 (listed key persons of your jurisdiction: residence, "
                                    "employers, recent events; paged, or the whole list as csv/xlsx)",
            responses=FILE_RESPONSES)
async def watch_list(reads: Reads, caller: Allowed("watch.read", *READ), cursor: CursorParam = None,
                     limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    return await answer(views.watch_list(reads, caller.scope_query("watched_in")), format, cursor, limit, caller,
                        "watch-key-persons", logged_as="key_person", named=lambda items: returned(
                            {"_id": item["person_id"], "division_code": next(
                                (k["division_code"] for k in item["key_persons"]), None)} for item in items))


@router.get("/alerts", summary="Alerts 预警列表 (your jurisdiction; filters: since, rule, state, person; newest first, "
                               "paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def list_alerts(listed: Alerts, caller: Allowed("watch.read", *READ), since: Since = None, rule: Rule = None,
                      state: State = None,
                      person_id: Annotated[str | None, Query(max_length=64, description="实有人口 person id")] = None,
                      cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    query = views.alert_query(caller.scope_query("division_code"), since, rule, state, person_id)
    return await answer(views.alerts(listed, query), format, cursor, limit, caller, "watch-alerts",
                        logged_as="key_person_alert")


@router.get("/alerts/stream", response_class=EventSourceResponse,
            summary="Live alerts 预警实时推送 (Server-Sent Events, your jurisdiction)")
async def stream_alerts(request: Request, listed: Alerts, caller: Allowed("watch.read", *READ),
                        since: Since = None) -> AsyncIterator[ServerSentEvent]:
    """Each new alert once, as ``event: alert`` with the alert as JSON and its id; a comment keeps the line open.
    The stream lives no longer than the caller's token: at its ``exp`` a final ``event: end`` says why."""
    scope, seen, viewer = caller.scope_query("division_code"), set(), viewer_for(caller)
    mark = since or views.utcnow()
    quiet = 0.0
    expires_at = token_expires_at(request)
    while not await request.is_disconnected():
        if expires_at is not None and time.time() >= expires_at:
            yield ServerSentEvent(event="end", data={"reason": "token_expired", "detail": "bearer token has expired: "
                                  "reconnect with a fresh token (令牌已过期，请重新连接)"})
            return
        fresh = await views.new_alerts(listed, scope, mark, seen)
        if fresh:  # each delivery leaves its trace (查询留痕), as a list read would
            await caller.accessed("key_person_alert", None, lookup=asked(caller), result_count=len(fresh),
                                  records=returned(fresh, "person_id"))
        for alert in fresh:
            seen.add(alert["alert_id"])
            mark = max(mark, alert["raised_at"])
            yield ServerSentEvent(event="alert", id=alert["alert_id"], data=mask_tree(alert, viewer))
            quiet = 0.0
        if len(seen) > 10_000:
            seen = set(list(seen)[-5_000:])
        pause = POLL_SECONDS if expires_at is None else max(0.0, min(POLL_SECONDS, expires_at - time.time()))
        await asyncio.sleep(pause)
        quiet += pause
        if quiet >= KEEPALIVE_SECONDS:
            yield ServerSentEvent(comment="keep-alive")
            quiet = 0.0


@router.get("/alerts/{alert_id}", summary="Read an alert 查看预警 (the person, the rule, the causing event)")
async def get_alert(alert_id: str, listed: Alerts, caller: Allowed("watch.read", *READ)) -> dict:
    alert = await views.alert(listed, alert_id)
    if alert is None:
        raise NotFound("alert", alert_id)
    caller.require_within(alert["division_code"], "alert")
    await caller.accessed("key_person_alert", alert_id, alert["division_code"])
    return alert


@router.post("/alerts/{alert_id}/acknowledge", summary="Acknowledge an alert 签收预警 (responsible police)")
async def acknowledge(alert_id: str, body: Acknowledge, handle: AlertHandling, caller: Allowed("watch.handle", "police")) -> dict:
    return views.shown(await handle(alert_id, "acknowledge", body.remark, caller))


@router.post("/alerts/{alert_id}/resolve", summary="Resolve an alert 处置预警 (responsible police)")
async def resolve(alert_id: str, body: Resolve, handle: AlertHandling, caller: Allowed("watch.handle", "police")) -> dict:
    return views.shown(await handle(alert_id, "resolve", body.outcome, caller))
