"""A rebuild makes the indexes its handlers query before its load, like the unique ones; the others after it."""

from __future__ import annotations

from services.audit.projections.figures import BY_CODE, BY_REF, figures
from services.kernel.messaging.projection import Projection
from services.kernel.messaging.projection_runner import ProjectionRunner


class _Recorder:
    def __init__(self, made: list, name: str) -> None:
        self.made, self.name = made, name

    async def create_index(self, keys, **options) -> None:
        self.made.append((self.name, keys))


class _Database:
    def __init__(self) -> None:
        self.made: list = []

    def __getitem__(self, name: str) -> _Recorder:
        return _Recorder(self.made, name)


def _runner(projection: Projection) -> tuple[ProjectionRunner, _Database]:
    db = _Database()
    return ProjectionRunner(projection, client=None, db=db, producer=None, namespace="t", generation=2), db


async def test_queried_indexes_come_with_the_unique_ones_before_the_load():
    projection = Projection("demo", sources=["demo"], collections=["records"])
    projection.index("records", [("uscc", 1)], unique=True)
    projection.index("records", [("refs", 1)], read_while_applying=True)
    projection.index("records", [("recorded_at", -1)])
    runner, db = _runner(projection)
    await runner.ensure_indexes(unique_only=True)
    before = [keys for name, keys in db.made if name.startswith("records")]
    db.made.clear()
    await runner.ensure_indexes(skip_unique=True)
    after = [keys for name, keys in db.made if name.startswith("records")]
    assert before == [[("uscc", 1)], [("refs", 1)]]
    assert after == [[("recorded_at", -1)]]


async def test_the_figures_handlers_lookups_are_indexed_before_a_rebuild_loads():
    runner, db = _runner(figures)
    await runner.ensure_indexes(unique_only=True)
    assert {tuple(BY_CODE), tuple(BY_REF)} <= {tuple(keys) for _, keys in db.made}
