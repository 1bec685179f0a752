"""Kernel layer 5, operations (运维): the ``ybss`` command line, the launcher, serving one service, rebuilds
and namespace resets.

May import every layer below; nothing in the kernel imports it."""
