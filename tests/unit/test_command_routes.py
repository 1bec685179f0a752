"""A thin command route declared with CommandRoutes is the route it replaces: the same OpenAPI operation (path
parameters, body with its examples, response, summary, status code, operation id), the permission where the
authorization test and the docs table read it, and the application method called with the path in order."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, status
from pydantic import BaseModel, ConfigDict

from services.kernel.web import authz
from services.kernel.web.authz import Allowed
from services.kernel.web.commands import CommandRoutes


class Transfer(BaseModel):
    """转递 (a test command)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"to_division": "532503002"}]})
    to_division: str


class Accepted(BaseModel):
    stream_id: str
    version: int


class Kennel:
    """A stand-in application: answers what it was handed."""

    async def transfer(self, kennel_id: str, dog_id: str, command: Transfer, context) -> Accepted:
        return Accepted(stream_id=f"{kennel_id}/{dog_id}/{command.to_division}/{context}", version=1)


def kennel() -> Kennel:
    return Kennel()


Service = Annotated[Kennel, Depends(kennel)]


@pytest.fixture(autouse=True)
def own_actions(monkeypatch):
    monkeypatch.setattr(authz, "ACTIONS", dict(authz.ACTIONS))


def written_out() -> APIRouter:
    router = APIRouter(prefix="/v1/kennels")

    @router.post("/{kennel_id}/dogs/{dog_id}/transfer", status_code=status.HTTP_201_CREATED, response_model=Accepted,
                 summary="Transfer a dog 转递", responses={409: {"description": "already there"}})
    async def transfer_dog(kennel_id: str, dog_id: str, command: Transfer, svc: Service,
                           caller: Allowed("test.transfer", "police", "supervisor")) -> Accepted:
        return await svc.transfer(kennel_id, dog_id, command, caller.context)

    return router


def declared() -> APIRouter:
    router = APIRouter(prefix="/v1/kennels")
    CommandRoutes(router, Service, Accepted).post(
        "/{kennel_id}/dogs/{dog_id}/transfer", Transfer, "transfer", Allowed("test.transfer", "police", "supervisor"),
        status_code=status.HTTP_201_CREATED, summary="Transfer a dog 转递",
        responses={409: {"description": "already there"}}, name="transfer_dog")
    return router


def openapi(router: APIRouter) -> dict:
    app = FastAPI()
    app.include_router(router)
    return app.openapi()


def test_a_declared_route_has_the_written_out_route_s_openapi_operation():
    assert openapi(declared()) == openapi(written_out())
    operation = openapi(declared())["paths"]["/v1/kennels/{kennel_id}/dogs/{dog_id}/transfer"]["post"]
    assert operation["operationId"] == "transfer_dog_v1_kennels__kennel_id__dogs__dog_id__transfer_post"


def test_a_declared_route_states_its_permission_where_the_authorization_test_reads_it():
    route = declared().routes[0]
    stack, found = [route.dependant], None
    while stack and found is None:
        dependant = stack.pop()
        if hasattr(dependant.call, "action"):
            found = (dependant.call.action, dependant.call.roles)
        stack.extend(dependant.dependencies)
    assert found == ("test.transfer", ("police", "supervisor"))
    assert authz.ACTIONS["test.transfer"] == ("police", "supervisor")


async def test_the_application_method_gets_the_path_in_order_then_the_command_and_the_caller_s_context():
    class Caller:
        context = "ctx"

    endpoint = declared().routes[0].endpoint
    accepted = await endpoint(dog_id="d7", kennel_id="k1", command=Transfer(to_division="532503002"), svc=Kennel(),
                              caller=Caller())
    assert accepted.stream_id == "k1/d7/532503002/ctx"


def test_a_method_the_application_lacks_is_refused_when_the_route_is_declared():
    with pytest.raises(AttributeError, match="no method 'transfers'"):
        CommandRoutes(APIRouter(), Service, Accepted).post("/{dog_id}", Transfer, "transfers",
                                                           Allowed("test.transfer", "police", "supervisor"),
                                                           summary="typo")
