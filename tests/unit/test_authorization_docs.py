"""docs/AUTHORIZATION.md lists every action a route declares, with the roles the code enforces."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from contracts.contexts import CONTEXTS
from services.kernel.web.authz import ACTIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "AUTHORIZATION.md"
COLUMNS = ("collector", "police", "supervisor", "agency", "admin", "service")  # admin is implied, never declared


def documented() -> dict[str, tuple[str, ...]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([\w.\-]+)`\s*\|(.*)", line)
        if match:
            cells = [cell.strip() for cell in match.group(2).split("|")]
            rows[match.group(1)] = tuple(role for role, cell in zip(COLUMNS, cells) if cell == "✓" and role != "admin")
    return rows


def test_every_declared_action_is_in_the_table_with_its_roles():
    for context in CONTEXTS:
        importlib.import_module(f"{context.module}.app")
    declared = {action: roles for action, roles in ACTIONS.items() if not action.startswith("test.")}
    table = documented()
    missing = sorted(set(declared) - set(table))
    assert not missing, f"actions not in docs/AUTHORIZATION.md: {missing}"
    differing = {action: (tuple(sorted(roles)), tuple(sorted(table[action]))) for action, roles in declared.items()
                 if sorted(roles) != sorted(table[action])}
    assert not differing, f"roles in code vs docs differ: {differing}"
