"""The test suite's own plumbing: CI fails a run that collected nothing; stack-bound tests carry their marker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def child_env(**extra: str) -> dict[str, str]:
    """A nested pytest gets its own namespace and keeps its hands off everything (no cleanup of ours)."""
    return {**os.environ, "YBSS_NAMESPACE": f"t{uuid.uuid4().hex[:10]}", "YBSS_KEEP_TEST_DATA": "1", **extra}


def test_make_test_fails_a_run_that_collected_no_tests_and_says_so():
    """`.ci/run` is `make test`; its pytest step turns "no tests ran" (exit 5) into a failure with a message."""
    result = subprocess.run(["make", "--no-print-directory", "pytest", "PYTEST_ARGS=tests/unit -k no_test_is_named_like_this"],
                            cwd=REPO, capture_output=True, text=True, timeout=300, env=child_env())
    assert result.returncode != 0, result.stdout + result.stderr
    assert "collected no tests" in result.stderr
    assert "make test" in (REPO / ".ci" / "run").read_text(), "CI runs the README's test command"


def collected(marker: str) -> list[str]:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only",
                             "-m", marker, "tests"], cwd=REPO, capture_output=True, text=True, timeout=300,
                            env=child_env())
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_integration_and_e2e_tests_are_marked_integration_and_unit_tests_are_not():
    marked = collected("integration")
    assert any(line.startswith("tests/integration/") for line in marked)
    assert any(line.startswith("tests/e2e/") for line in marked)
    assert not any(line.startswith("tests/unit/") for line in marked)
    unmarked = collected("not integration")
    assert any(line.startswith("tests/unit/") for line in unmarked)
    assert not any(line.startswith(("tests/integration/", "tests/e2e/")) for line in unmarked)
