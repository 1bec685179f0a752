"""Kernel layer 1, the base (基础): settings, logs, metrics, errors, the masking policy, keys and bounded waits.

Imports nothing else of the kernel; every other layer may import it."""
