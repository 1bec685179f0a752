"""The lines-of-code measure counts code only: a docstring that says why, a comment or a blank line costs nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "loc_per_feature.py"
spec = importlib.util.spec_from_file_location("loc_per_feature", SCRIPT)
loc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(loc)


def test_docstrings_comments_and_blank_lines_are_not_code():
    source = '''"""Module docstring,
over two lines."""

import os  # a comment after code counts once


class Place:
    """Why a place."""

    # a comment alone
    def name(self) -> str:
        """Why a name."""
        return ("a"
                "b")
'''
    assert loc.code_lines(source) == 5  # import, class, def, and the two lines of the return


def test_a_string_that_is_not_a_docstring_counts():
    assert loc.code_lines('x = 1\n"""not a docstring: not first"""\n') == 2


def test_unparseable_source_counts_nothing():
    assert loc.code_lines("def (:\n") == 0
