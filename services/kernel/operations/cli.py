"""``ybss``: the operator's command line (tokens, topics, relay, schemas, running every service)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from contracts.contexts import names as context_names
from services.kernel.base.settings import get_settings
from services.kernel.operations import parking_cli


def cmd_token(args: argparse.Namespace) -> int:
    """A user token signed with YBSS_JWT_PRIVATE_KEY_FILE or, when unset, the development key (whatever the
    environment: services outside local mode refuse that key, so such a token opens nothing there)."""
    from services.kernel.web.auth import USER_ROLES, mint_token, validate_org

    if args.role not in USER_ROLES:
        print(f"unknown role {args.role!r}; one of {', '.join(USER_ROLES)} (service tokens are signed by the "
              "services' own keys)", file=sys.stderr)
        return 2
    problem = validate_org(args.org)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    settings = get_settings()
    if not 0 < args.ttl <= settings.jwt_max_ttl_seconds:
        print(f"--ttl {args.ttl}: between 1 and {settings.jwt_max_ttl_seconds} s (YBSS_JWT_MAX_TTL_SECONDS); longer "
              "tokens are refused", file=sys.stderr)
        return 2
    if not settings.jwt_private_key_file:
        settings = settings.model_copy(update={"environment": "local"})
    print(mint_token(args.sub, args.role, args.org, settings, ttl_seconds=args.ttl, channel=args.channel))
    return 0


def cmd_dev_keys(_: argparse.Namespace) -> int:
    from services.kernel.base.devkeys import ensure_dev_keys

    print(f"development keys (local mode only): {ensure_dev_keys()}")
    return 0


def cmd_topics(_: argparse.Namespace) -> int:
    from services.kernel.messaging.topics import ensure_topics, project_topics

    settings = get_settings()
    created = asyncio.run(ensure_topics(settings, project_topics(settings)))
    print("created: " + (", ".join(created) if created else "nothing (all exist)"))
    return 0


def cmd_relay(args: argparse.Namespace) -> int:
    """Run only the outbox relay of one context (operations, and the relay crash test)."""
    if not args.context:
        print("ybss relay: --context is required", file=sys.stderr)
        return 2
    from contracts.topics import events_topic
    from services.kernel.eventsourcing.eventstore import EventStore
    from services.kernel.base.logging import configure_logging
    from services.kernel.messaging.lease import LeasedRelay
    from services.kernel.messaging.outbox import OutboxRelay
    from services.kernel.messaging.parking import TopicLimit
    from services.kernel.messaging.runtime import kafka_producer, mongo_client

    settings = get_settings()
    configure_logging(settings.log_level, service=f"relay-{args.context}")
    topic = events_topic(args.context, settings.namespace)

    async def main() -> None:
        client = mongo_client(settings)
        producer = kafka_producer(settings)
        await producer.start()
        store = EventStore(client, client[settings.database_name(args.context)])
        relay = OutboxRelay(store, producer, topic, args.context, batch_size=args.batch_size,
                            idle_poll_seconds=settings.relay_idle_poll_seconds,
                            record_limit=TopicLimit(settings.kafka_client_options(), topic))
        leader = LeasedRelay.for_settings(relay, client[settings.database_name(args.context)], settings)
        try:
            await leader.run()  # only the replica holding the context's relay lease publishes
        finally:
            await producer.stop()
            await client.close()

    asyncio.run(main())
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from contracts.schema_export import export

    written = export(Path(args.out))
    print(f"wrote {len(written)} schemas to {args.out}")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Replay a read model from offset 0 into a fresh generation and swap it in."""
    from services.kernel.base.logging import configure_logging
    from services.kernel.operations.rebuild import rebuild

    settings = get_settings()
    configure_logging("WARNING", service=f"rebuild-{args.context}")
    projection = _projection(args.context, args.projection)
    if projection is None:
        return 2
    report = asyncio.run(rebuild(settings, args.context, projection, swap=not args.no_swap,
                                 show_progress=not args.quiet))
    print(json.dumps(report.__dict__, ensure_ascii=False))
    return 0


def cmd_dlt(args: argparse.Namespace) -> int:
    """What a projection has parked behind dead letters, and re-applying it once the cause is fixed."""
    from services.kernel.messaging.redrive import list_parked, redrive
    from services.kernel.messaging.generations import active_generation
    from services.kernel.messaging.projection_runner import ProjectionRunner
    from services.kernel.messaging.runtime import mongo_client

    settings = get_settings()
    projection = _projection(args.context, args.projection)
    if projection is None:
        return 2

    async def main() -> object:
        client = mongo_client(settings)
        try:
            db = client[settings.database_name(args.context)]
            runner = ProjectionRunner.for_settings(projection, client, db, None, settings,
                                                   await active_generation(db, projection.name))
            if args.action == "list":
                return await list_parked(runner, limit=args.limit)
            return (await redrive(runner, args.stream or None)).__dict__
        finally:
            await client.close()

    result = asyncio.run(main())
    if args.action == "list":
        for row in result:
            print(json.dumps({key: row[key] for key in ("stream_id", "version", "event_type", "reason", "error",
                                                        "source", "attempts")}, ensure_ascii=False, default=str))
        if not result:
            print(f"nothing parked for {args.projection}", file=sys.stderr)
        return 0
    print(json.dumps(result, ensure_ascii=False))
    return 1 if result["still_parked"] else 0


def cmd_consume(args: argparse.Namespace) -> int:
    """Apply a context's projections in their own process (its API then runs with YBSS_PROJECTION_CONSUMERS=separate)."""
    import importlib
    import os
    import signal

    from services.kernel.base.logging import configure_logging
    from services.kernel.messaging.runtime import Runtime

    os.environ.pop("YBSS_PROJECTION_CONSUMERS", None)
    settings = get_settings()
    configure_logging(settings.log_level, service=f"{args.context}-consumers")
    spec = importlib.import_module(f"services.{args.context}.app").SPEC

    async def main() -> None:
        runtime = Runtime(settings, args.context, spec.projections)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await runtime.start()
        try:
            await stop.wait()
        finally:
            await runtime.stop()

    asyncio.run(main())
    return 0


def _projection(context: str, name: str):
    """The named projection of a context's service, or None (after saying which exist)."""
    import importlib

    spec = importlib.import_module(f"services.{context}.app").SPEC
    projections = {projection.name: projection for projection in spec.projections}
    if name not in projections:
        print(f"unknown projection {name!r}; {context} has: {', '.join(projections) or 'none'}", file=sys.stderr)
        return None
    return projections[name]


def cmd_run(args: argparse.Namespace) -> int:
    from services.kernel.operations.launcher import run_all

    return run_all(Path(args.state_dir), stop_stack=args.stop_stack)


def cmd_status(args: argparse.Namespace) -> int:
    from services.kernel.operations.launcher import status_all

    return status_all(Path(args.state_dir))


def cmd_stop(args: argparse.Namespace) -> int:
    from services.kernel.operations.launcher import stop_all

    return stop_all(Path(args.state_dir))


#: Tools outside the contexts with their own commands (``ybss city generate|load``, ``ybss feeds``).
TOOLS = ("city", "feeds", "exchange")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ybss", description="ybss operator CLI (一标三实)")
    commands = parser.add_subparsers(dest="command", required=True)

    token = commands.add_parser("token", help="sign a user JWT with the development key (or YBSS_JWT_PRIVATE_KEY_FILE)")
    token.add_argument("--role", required=True, help="collector | police | supervisor | agency | admin")
    token.add_argument("--org", required=True, help="division code, e.g. 532503 (checked against the division table)")
    token.add_argument("--sub", default="dev-user", help="subject (user or agency id)")
    token.add_argument("--channel", default="web", help="app | web | agency | import")
    token.add_argument("--ttl", type=int, default=12 * 3600, help="lifetime in seconds")
    token.set_defaults(func=cmd_token)
    dev_keys = commands.add_parser("dev-keys", help="make the development key pairs once (deploy/local/.work/keys)")
    dev_keys.set_defaults(func=cmd_dev_keys)

    topics = commands.add_parser("topics", help="create the project's topics (idempotent)")
    topics.set_defaults(func=cmd_topics)

    relay = commands.add_parser("relay", help="run one context's outbox relay in the foreground; "
                                "`relay parked list|republish` for the events it parked")
    relay.add_argument("--context", help="the context whose relay runs (required without a subcommand)")
    relay.add_argument("--batch-size", type=int, default=get_settings().relay_batch_size)
    relay.set_defaults(func=cmd_relay)
    parking_cli.register(relay)

    schema = commands.add_parser("schema", help="export the envelope and event JSON Schemas")
    schema.add_argument("--out", default="contracts/schemas")
    schema.set_defaults(func=cmd_schema)

    rebuild = commands.add_parser("rebuild", help="rebuild a read model from offset 0 and swap it in")
    rebuild.add_argument("--context", required=True, help=" | ".join(context_names()))
    rebuild.add_argument("--projection", required=True, help="e.g. address-registry")
    rebuild.add_argument("--no-swap", action="store_true", help="build the new generation but keep the old live")
    rebuild.add_argument("--quiet", action="store_true", help="no progress bar (rate and ETA) on stderr")
    rebuild.set_defaults(func=cmd_rebuild)

    consume = commands.add_parser("consume", help="run one context's projection consumers without its API")
    consume.add_argument("--context", required=True, help=" | ".join(context_names()))
    consume.set_defaults(func=cmd_consume)

    dlt = commands.add_parser("dlt", help="parked dead letters of a projection: list, or redrive once fixed")
    dlt.add_argument("action", choices=("list", "redrive"))
    dlt.add_argument("--context", required=True, help=" | ".join(context_names()))
    dlt.add_argument("--projection", required=True, help="e.g. address-registry")
    dlt.add_argument("--stream", action="append", help="redrive only this stream (repeatable)")
    dlt.add_argument("--limit", type=int, default=1000, help="list at most this many")
    dlt.set_defaults(func=cmd_dlt)

    for name, func, text in (("run", cmd_run, "start every service and wait"),
                             ("stop", cmd_stop, "stop the services `ybss run` started"),
                             ("status", cmd_status, "which services answer")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--state-dir", default="deploy/local/.work")
        command.set_defaults(func=func)
        if name == "run":
            command.add_argument("--stop-stack", action="store_true", help="also stop Kafka and SecantusDB on exit")
    for name in (*context_names(), *TOOLS):  # a context's or tool's own commands (services/<name>/cli.py: register)
        import importlib
        import importlib.util

        if importlib.util.find_spec(f"services.{name}.cli") is not None:
            importlib.import_module(f"services.{name}.cli").register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
