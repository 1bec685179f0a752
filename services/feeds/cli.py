"""``ybss feeds``: the feed subscribers with the topics and consumer group each reads; ``ybss feeds --create``
also creates every feed topic, compacted (the services create their own at start; ``ybss topics`` makes the rest)."""

from __future__ import annotations

import argparse
import asyncio
import json


def register(commands) -> None:
    command = commands.add_parser("feeds", help="list the feed subscribers and their topics; --create makes the topics")
    command.add_argument("--create", action="store_true", help="create every feed topic (compacted), idempotent")
    command.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from contracts.contexts import names
    from contracts.feeds import feed_group
    from services.feeds.subscribers import subscribers, topics_of
    from services.kernel.base.settings import get_settings
    from services.kernel.messaging.topics import COMPACTED, ensure_topics

    settings = get_settings()
    ns = settings.namespace
    for subscriber in subscribers():
        print(json.dumps({"subscriber": subscriber.id, "name": subscriber.name, "group": feed_group(subscriber.id, ns),
                          "grant": sorted(subscriber.grant), "topics": subscriber.topics(ns)}, ensure_ascii=False))
    if args.create:
        topics = [topic for context in names() for topic in topics_of(context, subscribers(), ns)]
        created = asyncio.run(ensure_topics(settings, topics, COMPACTED))
        print("created: " + (", ".join(created) if created else "nothing (all exist)"))
    return 0
