"""The shared event-sourcing kernel. Importing it first corrects Python 3.11's ``asyncio.wait_for`` (see
``asyncio_fixes``): every service, CLI and test process goes through here before it opens a MongoDB client."""

from services.kernel.base import asyncio_fixes  # noqa: F401 - installs on import
