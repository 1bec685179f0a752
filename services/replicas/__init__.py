"""Replicas: small read models of *another* context's facts, built from its published events.

A context that must check another context's records (the person and house services need to know an address
exists and is in use) keeps its own replica instead of calling that service (ARCHITECTURE.md, "The flow").
Each replica here depends on ``contracts`` only, so any context can own one under its own projection name.
They stand outside the kernel's layers because they know other contexts' facts: contexts import them, the
kernel never does.
"""
