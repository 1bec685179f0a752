"""A list narrowed to one division inside the caller's jurisdiction (辖区内按区划筛选).

``division_code`` is a prefix (county, township, community); the caller's scope still applies, so asking for a
division outside it gives an empty list, never another jurisdiction's records.
"""

import re
from typing import Annotated, Callable

from fastapi import APIRouter, Query

from services.kernel.messaging.read_models import ReadModels
from services.kernel.web.authz import Allowed
from services.kernel.web.deps import Reads
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit, Worklist

DivisionCode = Annotated[str | None, Query(pattern=r"^\d{2,12}$", examples=["532503001"],
                                           description="区划代码 (prefix): only this division, inside the caller's "
                                                       "jurisdiction")]

def narrowed(scope: dict, division_code: str | None, field_name: str = "division_code") -> dict:
    """``scope`` (the caller's jurisdiction filter) and, when given, the division prefix on ``field_name``."""
    if not division_code:
        return dict(scope)
    wanted = {field_name: {"$regex": "^" + re.escape(division_code)}}
    return {"$and": [scope, wanted]} if scope else wanted

def division_worklist(router: APIRouter, path: str, summary: str, action: str, roles: tuple[str, ...],
                      view: Callable[[ReadModels, dict], Worklist]) -> None:
    """A GET worklist route on ``router``: ``view(reads, scope)`` narrowed to ``division_code`` inside the caller's
    jurisdiction, one page as JSON or the whole list as csv/xlsx (the sweeps of issue 18 are all of this shape)."""
    async def route(reads: Reads, caller: Allowed(action, *roles), division_code: DivisionCode = None,
                    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
        scope = narrowed(caller.scope_query("division_code"), division_code)
        return await answer(view(reads, scope), format, cursor, limit, caller, path.rsplit("/", 1)[-1])

    route.__name__ = route.__qualname__ = path.rsplit("/", 1)[-1].replace("-", "_")
    router.get(path, summary=summary, responses=FILE_RESPONSES)(route)
