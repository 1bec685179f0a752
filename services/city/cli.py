"""``ybss city generate`` and ``ybss city load``: a synthetic 蒙自市 to test and demonstrate with."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path


def register(commands) -> None:
    city = commands.add_parser("city", help="a synthetic 蒙自市: generate it, load it through the front doors")
    actions = city.add_subparsers(dest="city_command", required=True)
    generate = actions.add_parser("generate", help="write a deterministic city (records in JSONL chunks, truth.json)")
    generate.add_argument("--persons", type=int, default=480_000, help="size (the real city: 480,000 persons; "
                          "houses and units scale with it)")
    generate.add_argument("--seed", type=int, default=2017)
    generate.add_argument("--out", type=Path, required=True, help="directory to write")
    generate.add_argument("--as-of", type=date.fromisoformat, default=None,
                          help="the day the truth holds for (default: today, Beijing time)")
    generate.add_argument("--chunk", type=int, default=10_000, help="records per file")
    generate.set_defaults(func=cmd_generate)
    load = actions.add_parser("load", help="load a generated city through the registries' commands (resumable)")
    load.add_argument("directory", type=Path)
    load.add_argument("--concurrency", type=int, default=16, help="HTTP commands in flight")
    load.add_argument("--transport", choices=("agency", "http"), default="agency",
                      help="agency (default): persons, houses, units, rentals, tenants and employees as batches of "
                      "the city-load agency (the registries' bulk path), the rest by HTTP; http: every record as "
                      "its registry's HTTP command, one by one")
    load.add_argument("--batch", type=int, default=1000, help="records per agency batch")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    load.add_argument("--retry-rejected", action="store_true", help="send again what was refused last time")
    load.add_argument("--until", default=None, help="stop after this phase (communities, roads, doorplates, "
                      "buildings, persons, homes, rentals, links, follow_ups, closing)")
    load.set_defaults(func=cmd_load)
    demo = actions.add_parser("demo", help="load a small demo town into the running services (starts them if none "
                              "answers); `make demo`")
    demo.add_argument("--persons", type=int, default=2_000)
    demo.add_argument("--state-dir", type=Path, default=Path("deploy/local/.work"))
    demo.set_defaults(func=cmd_demo)


def cmd_generate(args: argparse.Namespace) -> int:
    from services.city.generate import generate

    if args.persons < 1:
        print("--persons must be at least 1", file=sys.stderr)
        return 2
    manifest = generate(args.out, args.persons, args.seed, args.as_of, args.chunk)
    print(json.dumps({key: manifest[key] for key in ("persons", "seed", "as_of", "total", "records", "seconds")},
                     ensure_ascii=False))
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from services.city.agency_transport import make_transport
    from services.city.load import load

    if not (args.directory / "manifest.json").exists():
        print(f"{args.directory}: no manifest.json (run `ybss city generate --out {args.directory}` first)",
              file=sys.stderr)
        return 2
    report = asyncio.run(load(args.directory, make_transport(args.transport, args.batch), args.concurrency,
                              not args.quiet, args.retry_rejected, args.until))
    print(json.dumps(report.as_dict(), ensure_ascii=False))
    return 1 if report.rejected else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from services.city.demo import run_demo

    return run_demo(args.state_dir, args.persons)
