"""Authorization: who may call a route (role) and which records they may touch (jurisdiction).

Every route declares its action and roles next to it:

    caller: Annotated[Caller, Depends(allow("doorplate.retire", "police", "supervisor"))]

``admin`` always passes the role check; a token whose role is not one of ``ROLES`` is refused with 401
(services.kernel.web.auth). Jurisdiction: the token's ``org`` is a division code (532503 = 蒙自市, 532503001 =
文澜街道); a caller reads and writes only records whose division lies inside it (prefix on the division
hierarchy, historical codes resolved to their successors). Single records outside answer 403 naming the
record's division and the caller's scope; lists are filtered (``scope_query``), not refused. Admins see
everything; nobody else sees across provinces. Every declared action is collected in ``ACTIONS`` so the
docs table (docs/AUTHORIZATION.md) and the authorization test can list them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request

from contracts import divisions
from contracts.envelope import Actor
from services.kernel.base.errors import Forbidden
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.web.auth import current_actor

UNRESTRICTED_ROLES = frozenset({"admin"})

#: action → roles that may perform it (admin implied), filled by ``allow`` as route modules are imported
ACTIONS: dict[str, tuple[str, ...]] = {}


@lru_cache(maxsize=4096)
def current_code(code: str) -> str:
    """A division code in its current form: a retired code resolves to its successor where one is known."""
    try:
        normalised = divisions.normalize_code(code)
    except (ValueError, TypeError):
        return code
    if divisions.get(normalised) is not None and not divisions.is_current(normalised):
        successor = divisions.resolve(normalised)
        if successor is not None:
            return successor.code
    return normalised


def describe(code: str) -> str:
    division = divisions.get(code) if code else None
    return f"{code} {divisions.full_name(code)}" if division is not None else code


@dataclass(frozen=True)
class Scope:
    """The divisions a caller may see: every code starting with ``prefix``; ``None`` means everywhere."""

    prefix: str | None

    @classmethod
    def of(cls, actor: Actor) -> "Scope":
        if actor.role in UNRESTRICTED_ROLES:
            return cls(None)
        return cls(current_code(actor.organisation_code))

    def covers(self, division_code: str | None) -> bool:
        if self.prefix is None:
            return True
        if not division_code:
            return False
        return division_code.startswith(self.prefix) or current_code(division_code).startswith(self.prefix)

    def query(self, field_name: str = "division_code") -> dict:
        if self.prefix is None:
            return {}
        return {field_name: {"$regex": "^" + re.escape(self.prefix)}}

    def __str__(self) -> str:
        return "全国 (all divisions)" if self.prefix is None else describe(self.prefix)


@dataclass
class Caller:
    """The authenticated caller of one request: who, with which scope, in which conversation."""

    actor: Actor
    context: CommandContext
    scope: Scope
    action: str
    route: str
    request: Request | None = field(default=None, repr=False)

    def within(self, division_code: str | None) -> bool:
        return self.scope.covers(division_code)

    def require_within(self, division_code: str | None, what: str = "record") -> None:
        """403 unless the record's division lies inside the caller's jurisdiction."""
        if not self.within(division_code):
            raise Forbidden(
                f"{what} belongs to division {describe(division_code or '?')}, outside your jurisdiction "
                f"{self.scope}", f"该记录属于 {describe(division_code or '?')}，不在您的辖区 {self.scope} 内",
                record_division=division_code, caller_scope=self.scope.prefix)

    def scope_query(self, field_name: str = "division_code") -> dict:
        """A MongoDB filter restricting a list to the caller's jurisdiction (lists are filtered, not refused)."""
        return self.scope.query(field_name)

    async def accessed(self, record_type: str, record_id: str | None, division_code: str | None = None,
                       lookup: dict[str, str] | None = None, result_count: int = 1, outcome: str = "read",
                       records: list | None = None) -> None:
        """Leave an access-log event (查询留痕) for a single-record read, a lookup or a list (``records``: the
        persons it returned, services.kernel.web.access_trace), or a refused / not-found attempt (``outcome``)."""
        access_log = getattr(getattr(self.request, "app", None), "state", None)
        runtime = getattr(access_log, "runtime", None)
        if runtime is None or runtime.access_log is None:
            return
        await runtime.access_log.record(self.context, record_type, record_id, self.route,
                                        division_code=division_code, method=self.request.method,
                                        lookup=lookup, result_count=result_count, outcome=outcome, records=records)


def allow(action: str, *roles: str):
    """Dependency: the caller must hold one of ``roles`` (admin always may) to perform ``action``."""
    from services.kernel.web.auth import ROLES

    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ValueError(f"{action}: unknown roles {unknown}; roles are {ROLES}")
    if ACTIONS.setdefault(action, tuple(roles)) != tuple(roles):
        raise ValueError(f"action {action!r} is declared with roles {ACTIONS[action]} and {tuple(roles)}")

    async def check(request: Request, actor: Actor = Depends(current_actor)) -> Caller:
        route = getattr(request.scope.get("route"), "path", request.url.path)
        caller = Caller(actor=actor, context=None, scope=Scope.of(actor), action=action,  # type: ignore[arg-type]
                        route=route, request=request)
        caller.context = CommandContext(actor=actor, correlation_id=request.state.correlation_id,
                                        causation_id=request.headers.get("X-Request-ID"),
                                        jurisdiction=caller.require_within)
        # the answer is masked for this caller (services.kernel.web.masked_responses), and a refusal or a miss is
        # traced in its name (services.kernel.web.access_trace), a refused role included
        request.state.caller = caller
        if actor.role not in roles and actor.role not in UNRESTRICTED_ROLES:
            raise Forbidden(f"role '{actor.role}' may not {action}; needs one of {['admin', *roles]}",
                            f"角色 {actor.role} 无权执行 {action}，须为 {'/'.join(['admin', *roles])}")
        return caller

    check.action = action  # type: ignore[attr-defined] - read by the authorization test and the docs table
    check.roles = tuple(roles)  # type: ignore[attr-defined]
    return check


def Allowed(action: str, *roles: str):  # noqa: N802 - reads as a type in route signatures
    """``caller: Allowed("doorplate.retire", "police", "supervisor")``: the route's declared permission."""
    return Annotated[Caller, Depends(allow(action, *roles))]


#: every role that may read registry records inside its jurisdiction
READERS = ("collector", "police", "supervisor", "agency")
