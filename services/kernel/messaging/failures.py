"""Whose fault a failed event is (故障归属): the message's (retried, then dead-lettered) or the infrastructure's
(the consumer rewinds to the batch start and tries again, committing nothing past an unapplied message)."""

from __future__ import annotations

from pymongo.errors import ConnectionFailure, OperationFailure


class VersionGap(Exception):
    """An event arrived whose predecessor was never applied: applying it would corrupt the read model."""


class BatchFallback(Exception):
    """Something in the batch needs the one-event-at-a-time path (a gap, a parked stream)."""


INFRASTRUCTURE_LABELS = ("TransientTransactionError", "UnknownTransactionCommitResult")


#: server codes that say "another transaction got there first / try again", with or without an error label
RETRYABLE_CODES = frozenset({112, 251, 262})  # WriteConflict, NoSuchTransaction, ExceededTimeLimit


def is_infrastructure(error: BaseException) -> bool:
    """Not the message's fault: rewind and try again instead of retrying it towards a dead letter. A write conflict
    with another partition's transaction is one of these however the server reports it (a bulk write inside a
    transaction may carry it as a write error without the label)."""
    if isinstance(error, ConnectionFailure):
        return True
    if not isinstance(error, OperationFailure):
        return False
    if any(error.has_error_label(label) for label in INFRASTRUCTURE_LABELS) or error.code in RETRYABLE_CODES:
        return True
    details = error.details if isinstance(error.details, dict) else {}
    return any(item.get("code") in RETRYABLE_CODES for item in details.get("writeErrors", []))


#: TransactionTooLarge, TransactionTooLargeForCache: the batch, not any message in it, is the problem
TOO_LARGE_CODES = frozenset({334, 388})


#: SecantusDB's answer once a transaction outlived ``transactionLifetimeLimitSeconds`` (10 s in the local stack)
OUTLIVED = "transaction already closed"


def is_too_large(error: BaseException) -> bool:
    """The server cannot hold the batch's transaction (a rebuild's thousands of events at a city's size), in
    memory or in time: a smaller batch is the answer, not one event at a time."""
    return isinstance(error, OperationFailure) and (error.code in TOO_LARGE_CODES or OUTLIVED in str(error))
