"""Composition root of declarations (信息申报): the application service on the ingest service's event store.

Routes, the answer loop and tests are handed a ``DeclarationService``, never the Runtime."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.ingest.declarations.application import DeclarationService
from services.ingest.declarations.settings import declaration_settings
from services.kernel.messaging.runtime import Runtime
from services.kernel.web.deps import runtime


def for_runtime(rt: Runtime) -> DeclarationService:
    return DeclarationService(rt.store, rt.claims, declaration_settings())


def declaration_service(rt: Annotated[Runtime, Depends(runtime)]) -> DeclarationService:
    return for_runtime(rt)


#: what a declarations route declares to be handed the service
Declarations = Annotated[DeclarationService, Depends(declaration_service)]
