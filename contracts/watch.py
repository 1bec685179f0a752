"""Key-person watch alerts (重点人员 动态管控 预警): the facts the person service publishes on ybss.person.alerts.

One alert stream per alert (``alert-<alert_id>``): raised once for one causing event and one rule (the alert id
is derived from both, so a replay, a redelivery or a rebuild raises nothing new), then acknowledged (签收) and
resolved (处置完毕) by the police of the responsible jurisdiction. Alerts are judged by when things happened: a
release (撤管) that happened before the causing event but reached the watch after it withdraws the alert (已撤回),
and a listing reaching the watch after the events it covers raises them then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from contracts.events import DomainEvent

AlertState = Literal["open", "acknowledged", "resolved", "withdrawn"]  #: 待签收, 已签收, 已处置, 已撤回


class KeyPersonAlertRaised(DomainEvent):
    """预警: a listed key person did something a watch rule names."""

    alert_id: str = Field(description="alert id: derived from the causing event id and the rule")
    rule: str = Field(description="watch rule (services/person/watch/rules.json), e.g. hired_special_trade")
    rule_name: str = Field(description="规则名称, e.g. 受雇于特种行业单位")
    person_id: str = Field(description="实有人口 person id of the key person")
    key_person_id: str = Field(description="重点人员 record id")
    category_code: str = Field(description="重点人员类别 at the time of the event")
    division_code: str = Field(description="responsible jurisdiction (责任辖区) at the time of the event")
    responsible_unit: str = Field(description="责任单位")
    responsible_officer: str | None = Field(default=None, description="责任民警")
    cause_event_id: str = Field(description="the causing event's id")
    cause_event_type: str = Field(description="the causing event's type, e.g. EmployeeHired")
    cause_stream_id: str = Field(description="the causing event's stream")
    cause_occurred_at: datetime = Field(description="when the causing event happened")
    correlation_id: str = Field(description="the causing event's correlation id (the request that caused it)")
    facts: dict[str, Any] = Field(default_factory=dict, description="what the event said (address, unit, trades ...)")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, **self.model_dump(mode="json"), "state": "open"}


class KeyPersonAlertAcknowledged(DomainEvent):
    """签收: the responsible police have seen the alert."""

    alert_id: str
    remark: str = Field(default="", description="签收意见")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "state": "acknowledged"}


class KeyPersonAlertResolved(DomainEvent):
    """处置完毕: what was done about it."""

    alert_id: str
    outcome: str = Field(description="处置结果")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "state": "resolved", "outcome": self.outcome}


class KeyPersonAlertWithdrawn(DomainEvent):
    """已撤回: facts that arrived later show the person was not 已列管 when the causing event happened."""

    alert_id: str
    reason: str = Field(description="why, e.g. released before the event")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "state": "withdrawn"}


class KeyPersonAlertReinstated(DomainEvent):
    """重新生效: a withdrawn alert's event falls inside a listed span again (facts arrived out of order)."""

    alert_id: str

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "state": "open"}
