"""One rule for where an event stands against its stream's checkpoint (检查点), shared by the batch and the
one-at-a-time path of the projection runner: a duplicate is dropped, a gap is never applied, a parked stream
waits behind its dead letter until the redrive, and only the next version is applied."""

from __future__ import annotations

import pytest

from services.kernel.messaging.checkpoints import standing


@pytest.mark.parametrize(("checkpoint", "version", "redrive", "expected"), [
    ({}, 1, False, "next"),
    ({}, 2, False, "gap"),
    ({"version": 3}, 3, False, "duplicate"),
    ({"version": 3}, 1, False, "duplicate"),
    ({"version": 3}, 4, False, "next"),
    ({"version": 3}, 5, False, "gap"),
    ({"version": 3, "parked": True}, 4, False, "parked"),
    ({"version": 3, "parked": True}, 3, False, "duplicate"),
    ({"version": 3, "parked": True}, 4, True, "next"),
    ({"version": 3, "parked": True}, 5, True, "gap"),
])
def test_standing(checkpoint, version, redrive, expected):
    assert standing(checkpoint, version, redrive) == expected
