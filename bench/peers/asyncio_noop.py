#!/usr/bin/env python3
"""The asyncio baseline of the cluster benchmarks: a batch script as one would write it by hand.

Reads JSONL items, runs one no-op "call" per item (an awaited coroutine that answers at once)
through an asyncio.Queue drained by a bounded number of concurrent tasks, and writes one JSONL
line per item as it finishes. Standard library only, so nothing but python3 is needed.

    bench/peers/asyncio_noop.py IN.jsonl OUT.jsonl [--concurrency N]

Prints one JSON line to stderr: items, ok, wall_s (from the first read to the last write).
"""
import argparse
import asyncio
import json
import sys
import time


async def call(prompt: str) -> str:
    # The no-op model: what a sim provider with no latency answers, without waiting.
    await asyncio.sleep(0)
    return "pong"


async def worker(queue: asyncio.Queue, out, counts: dict) -> None:
    while True:
        line = await queue.get()
        if line is None:
            queue.task_done()
            return
        item = json.loads(line)
        text = await call("item %s: say pong" % item["i"])
        out.write(json.dumps({"id": item["id"], "output": text, "status": "ok"}) + "\n")
        counts["ok"] += 1
        queue.task_done()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--concurrency", type=int, default=256)
    args = parser.parse_args()

    start = time.perf_counter()
    counts = {"ok": 0, "items": 0}
    # A bounded queue, so memory stays flat whatever the input size.
    queue: asyncio.Queue = asyncio.Queue(maxsize=args.concurrency * 4)
    with open(args.input) as inp, open(args.output, "w") as out:
        tasks = [asyncio.create_task(worker(queue, out, counts)) for _ in range(args.concurrency)]
        for line in inp:
            if line.strip():
                counts["items"] += 1
                await queue.put(line)
        for _ in tasks:
            await queue.put(None)
        await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    print(json.dumps({"items": counts["items"], "ok": counts["ok"], "wall_s": round(wall, 3)}),
          file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
