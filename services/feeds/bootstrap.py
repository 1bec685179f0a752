"""Composition root of the feed publishers (发布订阅数据): a registry context's feed task over its running service's
ports, the one place the publisher meets the Runtime. Each registry context's bootstrap names its task with
``feed_task``; the publisher itself (services.feeds.publisher) is handed only the service's settings, its read
models and where its registry projections' consumer groups stand.
"""

from __future__ import annotations

from services.feeds.sources import feeds
from services.kernel.messaging.read_models import LiveReadModels
from services.kernel.messaging.runtime import Runtime


def feed_task(context: str):
    """The background task (ServiceSpec.background) publishing ``context``'s feeds from the running service."""
    publish = feeds(context)

    async def run(rt: Runtime) -> None:
        await publish(rt.settings, LiveReadModels(rt), rt.consumer_group)

    run.__name__ = f"{context}_feeds"
    return run
