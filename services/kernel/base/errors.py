"""Errors the domain and kernel raise; the app factory turns each into one clear HTTP answer."""

from __future__ import annotations

from datetime import date

QUERY_FIELDS = {"min_version", "cursor"}  # rule violations about query parameters, located as FastAPI locates them


class DomainRuleViolation(Exception):
    """Input that breaks a domain rule: HTTP 422 naming the field and the rule (in English and Chinese)."""

    def __init__(self, field: str, rule: str, message: str, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message
        self.message_zh = message_zh

    def as_detail(self) -> dict:
        where = "query" if self.field in QUERY_FIELDS else "body"
        loc = [where, *self.field.split(".")] if self.field else [where]
        detail = {"loc": loc, "type": self.rule, "msg": self.message}
        if self.message_zh:
            detail["msg_zh"] = self.message_zh
        return detail


def not_after(field: str, day: date | None, limit: date, what_zh: str) -> None:
    """A date of something that has happened may not lie after ``limit`` (today, usually): 422 ``date.future``."""
    if day is not None and day > limit:
        raise DomainRuleViolation(field, "date.future", f"{field} {day} is after {limit}",
                                  f"{what_zh}（{day}）不能晚于 {limit}")


def required(field: str, text: str, what_zh: str) -> str:
    """A text a rule needs (a reason, a name), stripped: 422 ``required`` naming the field when it is blank."""
    text = text.strip()
    if not text:
        raise DomainRuleViolation(field, "required", f"{field} must not be empty", f"{what_zh}不能为空")
    return text


def rejection_reasons(remark: str) -> str:
    """审批不通过 says why (驳回须说明理由): the remark, stripped; 422 ``required`` on ``remark`` when blank."""
    if not remark.strip():
        raise DomainRuleViolation("remark", "required", "a rejection needs its reasons", "驳回须说明理由")
    return remark.strip()


class NotFound(Exception):
    """An id that names nothing: HTTP 404."""

    def __init__(self, kind: str, identifier: str, traced: bool = False) -> None:
        super().__init__(f"{kind} {identifier!r} not found")
        self.kind = kind
        self.identifier = identifier
        self.traced = traced  #: the route left its own access-log entry (services.kernel.web.access_trace)


class ConcurrencyConflict(Exception):
    """The stream moved on since the caller read it: HTTP 409 with the current version."""

    def __init__(self, stream_id: str, expected_version: int, current_version: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {current_version}, not the expected {expected_version}"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.current_version = current_version


class NotCaughtUp(Exception):
    """A read asked for a version its read model has not reached within the wait: HTTP 503, retry."""

    def __init__(self, stream_id: str, wanted: int, current: int) -> None:
        super().__init__(f"read model for {stream_id!r} is at version {current}, waiting for {wanted} timed out")
        self.stream_id = stream_id
        self.wanted = wanted
        self.current = current


class ClaimInProgress(NotCaughtUp):
    """A unique key is still held by a registration that neither finished nor went stale (a request cut off by an
    outage leaves it until the stale release): HTTP 503, retry; never read as the key's owner."""

    def __init__(self, key: str) -> None:
        Exception.__init__(self, f"{key!r} is being registered by another request; retry shortly")
        self.stream_id, self.wanted, self.current = key, 0, 0


class StateConflict(Exception):
    """The command does not fit the aggregate's current state (approve a rejected plate...): HTTP 409."""

    def __init__(self, rule: str, message: str, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.message_zh = message_zh


class Forbidden(Exception):
    """The actor's role or jurisdiction does not allow this: HTTP 403 naming what would."""

    def __init__(self, message: str, message_zh: str | None = None, record_division: str | None = None,
                 caller_scope: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.record_division = record_division
        self.caller_scope = caller_scope
