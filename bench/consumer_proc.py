"""The bench read model's consumers in their own process (as a service would run them), logging lag.

Writes one line per applied event to the file named on the command line: ``<applied at> <lag seconds>``,
the lag measured from the event's recorded_at to the commit of the transaction that applied it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402
from services.kernel.messaging.consumers import ProjectionConsumers  # noqa: E402
from services.kernel.base.logging import configure_logging  # noqa: E402
from services.kernel.messaging.projection_runner import ProjectionRunner  # noqa: E402
from services.kernel.messaging.runtime import kafka_producer, mongo_client  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402


async def main(out: Path) -> None:
    settings = get_settings()
    configure_logging("WARNING", service="bench-consumers")
    common.LAG_SINK = {}
    client = mongo_client(settings)
    db = client[settings.database_name(common.CONTEXT)]
    producer = kafka_producer(settings)
    await producer.start()
    runner = ProjectionRunner.for_settings(common.ledger, client, db, producer, settings, generation=1)
    await runner.ensure_indexes()
    apply_batch = runner.apply_batch
    sink = out.open("a", buffering=1 << 16)

    async def measured(records, max_events=None):
        settled = await apply_batch(records, max_events)
        now = time.time()
        seen = common.LAG_SINK.pop(asyncio.current_task(), [])
        sink.write("".join(f"{now:.4f} {now - at.timestamp():.4f}\n" for at in seen))
        return settled

    runner.apply_batch = measured
    consumers = ProjectionConsumers(settings)
    consumers.add(runner)
    await consumers.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    (out.parent / (out.name + ".ready")).write_text(str(os.getpid()))
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        except asyncio.TimeoutError:
            sink.flush()
    await consumers.stop()
    sink.close()
    await producer.stop()
    await client.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
