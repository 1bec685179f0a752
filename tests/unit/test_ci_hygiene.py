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


def test_ci_fails_a_run_that_collected_no_tests():
    result = subprocess.run(["bash", ".ci/run"], cwd=REPO, capture_output=True, text=True, timeout=300,
                            env=child_env(CI_DRY_RUN="1", PYTEST_ARGS="tests/unit -k no_test_is_named_like_this"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "collected no tests" in result.stderr


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
