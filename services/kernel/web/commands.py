"""Thin command routes (命令路由) declared once each: path, command body, the application's method, who may call.

A thin command route hands its path parameters and command body to one method of the context's application,
with the caller's command context, and answers what the application accepted. Written out, every such route
was the same four-line function; ``CommandRoutes.post(...)`` builds that very endpoint from one declaration:
the path parameters (str, in path order), the body model (its OpenAPI examples included), the context's
``Service`` dependency, ``caller: Allowed(...)`` (read by tests/integration/test_authorization.py and the
docs/AUTHORIZATION.md table check), the response model, summary, status code and operation id (from ``name``,
by default the application method's name). Routes that do more than pass through stay written out.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any, get_args

from fastapi import APIRouter, status
from pydantic import BaseModel

_PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class CommandRoutes:
    """The command routes of one router, all handed ``service`` (a context's ``Service``) and answering
    ``accepted`` unless a route says otherwise."""

    router: APIRouter
    service: Any
    accepted: type[BaseModel]

    def post(self, path: str, command: type[BaseModel], method: str, caller: Any, **route: Any) -> None:
        self.declare("POST", path, command, method, caller, **route)

    def put(self, path: str, command: type[BaseModel], method: str, caller: Any, **route: Any) -> None:
        self.declare("PUT", path, command, method, caller, **route)

    def declare(self, http_method: str, path: str, command: type[BaseModel], method: str, caller: Any, *,
                summary: str, name: str | None = None, status_code: int = status.HTTP_200_OK,
                response_model: type[BaseModel] | None = None, responses: dict | None = None) -> None:
        """``caller`` is the route's permission, ``Allowed("<action>", *roles)``; ``method`` the application's."""
        application = (get_args(self.service) or (None,))[0]
        if inspect.isclass(application) and not callable(getattr(application, method, None)):
            raise AttributeError(f"{http_method} {path}: {application.__name__} has no method {method!r}")
        parameters = _PATH_PARAMETER.findall(self.router.prefix + path)

        async def endpoint(*, command: BaseModel, svc: Any, caller: Any, **path_values: str) -> Any:
            return await getattr(svc, method)(*(path_values[p] for p in parameters), command, caller.context)

        keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
        endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined] - what FastAPI reads
            [inspect.Parameter(p, keyword, annotation=str) for p in parameters]
            + [inspect.Parameter("command", keyword, annotation=command),
               inspect.Parameter("svc", keyword, annotation=self.service),
               inspect.Parameter("caller", keyword, annotation=caller)])
        endpoint.__name__ = endpoint.__qualname__ = name or method
        endpoint.__doc__ = None
        self.router.add_api_route(path, endpoint, methods=[http_method], name=name or method, summary=summary,
                                  status_code=status_code, response_model=response_model or self.accepted,
                                  responses=responses)
