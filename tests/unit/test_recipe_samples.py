"""docs/ADDING_A_CONTEXT.md's code samples run: every ```python block of the recipe, in order, is one small
context (养犬登记, dog registration) built on the real kernel, so a sample that no longer fits the kernel fails
here instead of misleading the next newcomer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts import contexts, events
from contracts.envelope import Actor
from services.kernel.base.errors import DomainRuleViolation, StateConflict
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.kernel.messaging.memory_reads import InMemoryReadModels
from services.kernel.web import authz

RECIPE = Path(__file__).resolve().parents[2] / "docs" / "ADDING_A_CONTEXT.md"
CTX = CommandContext(actor=Actor(id="PC-1", role="police", organisation_code="532503001"), correlation_id="t")


def samples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", RECIPE.read_text(encoding="utf-8"), re.S)


@pytest.fixture
def recipe(monkeypatch) -> dict:
    """The samples executed in order in one namespace; the dog's context, event type and actions stay out of the
    real registries (section 1's ``DOG`` is registered as editing contracts/contexts.py would)."""
    monkeypatch.setattr(events, "_EVENT_TYPES", dict(events._EVENT_TYPES))
    monkeypatch.setattr(authz, "ACTIONS", dict(authz.ACTIONS))
    monkeypatch.setattr(contexts, "_BY_NAME", dict(contexts._BY_NAME))
    namespace: dict = {"__name__": "recipe_samples"}
    for sample in samples():
        exec(compile(sample, str(RECIPE), "exec"), namespace)  # noqa: S102 - the project's own documentation
        if "DOG" in namespace:
            contexts._BY_NAME["dog"] = namespace["DOG"]
    return namespace


def register(recipe: dict, **fields):
    return recipe["RegisterDog"](**{"tag": "MZ000123", "name": "旺财", "keeper_person_id": "P0192f1a2b3c4",
                                    "division_code": "532503001", **fields})


async def test_the_recipe_registers_a_dog_once_per_tag_and_refuses_a_nameless_one(recipe):
    store, claims = InMemoryEventStore(), InMemoryClaims()
    svc = recipe["application"](store, claims)
    accepted = await svc.register(register(recipe), CTX)
    assert (accepted.dog_id, accepted.stream_id, accepted.version) == ("mz000123", "dog-mz000123", 1)
    with pytest.raises(StateConflict) as duplicate:
        await svc.register(register(recipe, name="大黄"), CTX)
    assert duplicate.value.rule == "dog.duplicate"
    with pytest.raises(DomainRuleViolation) as nameless:
        await svc.register(register(recipe, tag="MZ000124", name=" "), CTX)
    assert (nameless.value.field, nameless.value.rule) == ("name", "dog.name_empty")
    assert await claims.owner_of("dog-tag:MZ000124") is None  # a refused registration keeps no claim


async def test_the_recipe_s_projection_and_view_show_the_registered_dog(recipe):
    store = InMemoryEventStore()
    await recipe["application"](store, InMemoryClaims()).register(register(recipe), CTX)
    reads = InMemoryReadModels(store)
    await reads.apply(recipe["registry"], store.log)
    dog = await recipe["dog_by_id"](reads, "mz000123")
    assert (dog["name"], dog["status"], dog["division_code"], dog["_version"]) == ("旺财", "registered", "532503001", 1)
    assert recipe["public"](dog, "dog_id")["dog_id"] == "mz000123"


def test_the_recipe_s_routes_declare_who_may_call_them(recipe):
    routes = {(route.path, tuple(route.methods)) for route in recipe["router"].routes}
    assert routes == {("/v1/dogs/{dog_id}", ("GET",)), ("/v1/dogs", ("POST",))}
    assert authz.ACTIONS["dog.read"] == ("police", "supervisor") and authz.ACTIONS["dog.register"] == ("police",)


def test_the_recipe_s_service_is_built_with_its_routes(recipe):
    app = recipe["build_app"]()
    paths = app.openapi()["paths"]
    assert set(paths["/v1/dogs/{dog_id}"]) == {"get"} and set(paths["/v1/dogs"]) == {"post"}
    assert app.title == "ybss dog service 养犬登记 dog registration"
