"""docs/ARCHITECTURE.md walks ``POST /v1/persons/{id}/residence`` to the 查人知住 document room by room: every
file and function it names must exist, no room may appear twice, and the route must call the application
method the walk names, so the drawing cannot drift from the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from services.person.api.persons import router

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
#: ``N. `path` · `name` — what it does``
ROOM = re.compile(r"^(\d+)\. `([^`]+)` · `([\w.]+)` — (.+)$")


def rooms() -> list[tuple[int, str, str]]:
    return [(int(m[1]), m[2], m[3]) for line in DOC.read_text(encoding="utf-8").splitlines()
            if (m := ROOM.match(line))]


def defined(tree: ast.AST, dotted: str) -> bool:
    """``name`` or ``Class.method`` is defined (def, class or assignment) at the module's top level."""
    scope: list[ast.stmt] = list(getattr(tree, "body", []))
    for part in dotted.split("."):
        found = None
        for node in scope:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == part:
                found = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == part for t in targets):
                    found = node
        if found is None:
            return False
        scope = list(getattr(found, "body", []))
    return True


def test_the_walk_is_numbered_in_order_and_long_enough_to_cover_the_path():
    walk = rooms()
    assert [number for number, _, _ in walk] == list(range(1, len(walk) + 1))
    assert len(walk) >= 20


def test_every_room_exists():
    missing = []
    for number, path, name in rooms():
        file = ROOT / path
        if not file.is_file():
            missing.append(f"{number}. {path} (no such file)")
        elif not defined(ast.parse(file.read_text(encoding="utf-8")), name):
            missing.append(f"{number}. {path}: {name} (not defined there)")
    assert not missing, "docs/ARCHITECTURE.md names rooms that are not in the code:\n" + "\n".join(missing)


def test_each_room_is_entered_once():
    seen = [(path, name) for _, path, name in rooms()]
    assert len(seen) == len(set(seen))


def test_the_walk_starts_at_the_residence_route_and_ends_at_the_whereabouts_route():
    residence = [route for route in router.routes
                 if route.path == "/v1/persons/{person_id}/residence" and "POST" in route.methods]
    assert len(residence) == 1
    walk = {(path, name) for _, path, name in rooms()}
    assert ("services/person/application.py", f"PersonService.{residence[0].name}") in walk
    assert ("contracts/person_record.py", "residence_registered") in walk
    assert ("services/person/api/whereabouts.py", "whereabouts") in walk
