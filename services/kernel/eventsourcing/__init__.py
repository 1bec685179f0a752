"""Kernel layer 2, event sourcing (事件溯源): aggregates, the event store, claims, the repository and the
application skeleton every context's write side uses, with their in-memory fakes.

Imports only the base layer."""
