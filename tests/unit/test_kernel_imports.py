"""scripts/kernel_imports.py: every spelling of an old kernel path becomes the new one, and a second run
changes nothing (other engineers run it on their files after the kernel moved into layers)."""

from __future__ import annotations

import importlib.util

from tests.unit.import_rules import ROOT

_spec = importlib.util.spec_from_file_location("kernel_imports", ROOT / "scripts" / "kernel_imports.py")
kernel_imports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kernel_imports)

MOVES = kernel_imports.MOVES
SYMBOLS = kernel_imports.SYMBOLS

OLD = '''from services.kernel import asyncio_fixes  # noqa: F401 - installs on import
from services.kernel import parking_cli, runtime as rt
    from services.kernel import (outbox,
        lease)
from services.kernel.projection import BatchLimits, Projection, ProjectionRunner, is_infrastructure
from services.kernel.deadletters import list_parked, redrive
from services.kernel.ingest import Applied, ingest_consumer
patch = "services.kernel.projection.ProjectionRunner.apply_batch"
run: python -m services.kernel.cli topics
see services/kernel/replicas/person.py, services/kernel/ingest_batch.py and services.kernel.eventstore.
'''

NEW = '''from services.kernel.base import asyncio_fixes  # noqa: F401 - installs on import
from services.kernel.messaging import runtime as rt
from services.kernel.operations import parking_cli
    from services.kernel.messaging import outbox, lease
from services.kernel.messaging.batching import BatchLimits
from services.kernel.messaging.failures import is_infrastructure
from services.kernel.messaging.projection import Projection
from services.kernel.messaging.projection_runner import ProjectionRunner
from services.kernel.messaging.redrive import list_parked, redrive
from services.agency.consumer import ingest_consumer
from services.agency.ingest import Applied
patch = "services.kernel.messaging.projection_runner.ProjectionRunner.apply_batch"
run: python -m services.kernel.operations.cli topics
see services/replicas/person.py, services/agency/ingest_batch.py and services.kernel.eventsourcing.eventstore.
'''


def test_every_spelling_of_an_old_path_is_rewritten():
    assert kernel_imports.rewrite(OLD, MOVES, SYMBOLS) == NEW


def test_a_second_run_changes_nothing():
    assert kernel_imports.rewrite(NEW, MOVES, SYMBOLS) == NEW


def test_a_statement_with_nothing_moved_is_left_as_written():
    text = "from services.agency.ingest import (\n    APPLIED, RECORDS, IngestApplier,\n)\n"
    assert kernel_imports.rewrite(text, MOVES, SYMBOLS) == text


def test_a_name_that_only_starts_like_an_old_module_is_left_alone():
    text = "services.kernel.ingestion and services.kernel.read_modelsx and services/kernel/ and services.kernel"
    assert kernel_imports.rewrite(text, MOVES, SYMBOLS) == text


def test_every_move_is_made_on_disk_and_nothing_is_left_to_rewrite():
    """A file still spelling an old path fails here: run ``.venv/bin/python scripts/kernel_imports.py <file>``."""
    moves, symbols = kernel_imports.active_moves(), kernel_imports.active_symbols()
    assert moves.keys() == MOVES.keys() and symbols.keys() == SYMBOLS.keys()
    stale = []
    for path in kernel_imports.default_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if kernel_imports.rewrite(text, moves, symbols) != text:
            stale.append(str(path.relative_to(ROOT)))
    assert not stale, f"old kernel paths: run scripts/kernel_imports.py on {stale}"
