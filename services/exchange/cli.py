"""``ybss exchange``: the provincial exchange's operator commands (docs/EXCHANGE.md).

  run            the mapper (feeds → exchange topics) in the foreground
  connector      create or update the JDBC sink connector on the Connect worker (idempotent); --status, --restart,
                 --remove
  reconcile      the reconciliation report of one day (exit 1 when ybss and the target differ)
  dead-letters   the records the sink or the mapper refused, with why
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date

from services.kernel.base.settings import get_settings


def _mapping(args: argparse.Namespace):
    from services.exchange.mapping import load
    from services.exchange.settings import get_exchange_settings

    return load(args.mapping or get_exchange_settings().mapping_file)


def _print(document: object) -> None:
    print(json.dumps(document, ensure_ascii=False, indent=2))


def cmd_run(args: argparse.Namespace) -> int:
    from services.exchange.relay import ProvinceRelay
    from services.kernel.base.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, service="exchange")
    try:
        asyncio.run(ProvinceRelay(_mapping(args), settings).run())
    except KeyboardInterrupt:
        pass
    return 0


def cmd_connector(args: argparse.Namespace) -> int:
    import httpx

    from services.exchange.settings import get_exchange_settings

    exchange = get_exchange_settings()
    try:
        return _connector(args, exchange, get_settings().namespace)
    except httpx.HTTPStatusError as exc:
        print(f"Connect worker {exchange.connect_url} answered {exc.response.status_code}: {exc.response.text[:500]}"
              + (" (no connector yet: `ybss exchange connector` creates it)" if exc.response.status_code == 404 else ""),
              file=sys.stderr)
    except httpx.TransportError as exc:
        print(f"Connect worker {exchange.connect_url} unreachable ({exc!r}); YBSS_EXCHANGE_CONNECT_URL, "
              "or `make up` for the local one", file=sys.stderr)
    return 1


def _connector(args: argparse.Namespace, exchange, namespace: str) -> int:
    from services.exchange import connector

    if args.remove:
        connector.remove(exchange, namespace)
        print(f"removed {namespace}'s connector")
    elif args.restart:
        connector.restart_failed(exchange, namespace)
        print(f"restarted {namespace}'s failed connector tasks")
    elif args.status:
        _print(connector.status(exchange, namespace))
    else:
        answer = connector.register(_mapping(args), exchange, namespace)
        print(f"connector {answer['name']}: {answer['config']['topics']}")
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from services.exchange.reconcile import report
    from services.exchange.settings import get_exchange_settings

    try:
        day = date.fromisoformat(args.day)
    except ValueError:
        print(f"--day {args.day!r}: a date YYYY-MM-DD", file=sys.stderr)
        return 2
    import psycopg

    try:
        result = asyncio.run(report(_mapping(args), get_settings(), get_exchange_settings(), day))
    except psycopg.OperationalError as exc:
        print(f"target database unreachable (YBSS_EXCHANGE_TARGET_DSN): {exc}", file=sys.stderr)
        return 1
    _print(result)
    return 0 if result["matches"] else 1


def cmd_dead_letters(args: argparse.Namespace) -> int:
    from services.exchange.dead_letters import list_dead_letters

    _print(asyncio.run(list_dead_letters(get_settings(), _mapping(args), args.limit)))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    exchange = commands.add_parser("exchange", help="the provincial exchange: mapper, sink connector, "
                                   "reconciliation, dead letters (docs/EXCHANGE.md)")
    exchange.add_argument("--mapping", help="mapping tables (TOML); default YBSS_EXCHANGE_MAPPING_FILE or the example")
    actions = exchange.add_subparsers(dest="action", required=True)
    actions.add_parser("run", help="map the province's feeds onto the exchange topics (foreground)").set_defaults(
        func=cmd_run)
    conn = actions.add_parser("connector", help="create or update the JDBC sink connector (idempotent)")
    conn.add_argument("--status", action="store_true", help="show the connector's and task's state instead")
    conn.add_argument("--restart", action="store_true", help="restart its failed task (after the database's "
                      "refusal was fixed); it resumes where it stopped")
    conn.add_argument("--remove", action="store_true", help="delete the connector (the target keeps its rows)")
    conn.set_defaults(func=cmd_connector)
    rec = actions.add_parser("reconcile", help="counts and checksums per division of one day, ybss vs target")
    rec.add_argument("--day", required=True, help="YYYY-MM-DD in the standard's time zone")
    rec.set_defaults(func=cmd_reconcile)
    dead = actions.add_parser("dead-letters", help="records the sink or the mapper refused, with the reason")
    dead.add_argument("--limit", type=int, default=100)
    dead.set_defaults(func=cmd_dead_letters)
