"""Batch calculation: item by item (a bad item gets an error entry at its index, the rest still compute),
in this process or spread over worker processes (service/pool.py, CALCULATION_BATCH_WORKERS) so a batch uses
every core. Answers are encoded once and spliced into the response body without being decoded again.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import anyio
import orjson

from services.calculation.service.calculator import Calculator, Rejected, invalid
from services.calculation.service.gzip_parts import gzip_bytes
from values.errors import DomainError

# A batch answer in one process is gzipped from this size (smaller ones are not worth it).
GZIP_FROM_BYTES = 256 * 1024


class BatchTooLarge(DomainError):
    code = "batch-too-large"
    status = 413
    title = "Too many households in one batch"


def run(calc: Calculator, items: list[Any], explain: bool, start: int = 0) -> tuple[list[dict[str, Any]], int]:
    """(answers in order, how many failed)."""
    out: list[dict[str, Any]] = []
    failed = 0
    for i, item in enumerate(items, start=start):
        try:
            out.append({"index": i, "status": 200, "result": calc.from_raw(item, prefix=f"items.{i}.",
                                                                          explain=explain)})
        except Rejected as exc:
            out.append({"index": i, "status": 422, "problem": exc.body()})
            failed += 1
    return out, failed


def answer(parts: list[bytes], count: int, failed: int) -> bytes:
    """The response body from encoded item lists ("[...]" each), without decoding them again."""
    inner = b",".join(p[1:-1] for p in parts if len(p) > 2)
    return b'{"count":%d,"failed":%d,"items":[%s]}' % (count, failed, inner)


def _envelope(raw: Any) -> tuple[list[Any], bool]:
    """(items, explain) of a BatchRequest; the items are checked one by one later (a bad one is an entry)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise invalid([{"field": "items", "message": "a list of calculation requests is required",
                        "code": "list_type"}])
    unknown = sorted(set(raw) - {"items", "explain"})
    if unknown:
        raise invalid([{"field": k, "message": "Extra inputs are not permitted", "code": "extra_forbidden"}
                       for k in unknown])
    explain = raw.get("explain", True)
    if not isinstance(explain, bool):
        raise invalid([{"field": "explain", "message": "Input should be a valid boolean", "code": "bool_type"}])
    return raw["items"], explain


class Pool(Protocol):
    """Worker processes that run a batch (service/pool.py's WorkerPool); named here so that the pool, which
    runs this module's ``run`` in its workers, is not imported back."""

    async def run(self, items: list[Any], explain: bool, *, gzip: bool) -> bytes: ...


async def calculate(calculator: Calculator, raw: Any, *, lock: asyncio.Lock, pool: Pool | None, max_items: int,
                    gzip: bool) -> tuple[bytes, bool]:
    """The answer's body (a BatchResult) and whether it is gzipped; ``gzip``: the caller takes gzip. Without a
    ``pool`` the batch runs in a thread of this process, one batch at a time (``lock``)."""
    items, explain = _envelope(raw)
    if len(items) > max_items:
        raise BatchTooLarge(f"{len(items)} items; at most {max_items} per call. Split the batch.",
                            max_items=max_items)
    # The lines repeat their legal references: 10 000 explained households are ~50 MB of JSON but ~5 MB
    # gzipped, which is what crosses the gateway. Small answers are not worth it.
    gzip = gzip and (explain or len(items) >= 1000)
    if pool is not None and len(items) > 1:
        return await pool.run(items, explain, gzip=gzip), gzip  # the workers compress their parts
    # Off the event loop: a 10 000 item batch takes about a second of CPU, and health checks and single
    # calculations must still answer meanwhile. One batch at a time (the lock): more threads would only
    # take turns on the GIL and finish all of them later.
    async with lock:
        results, failed = await anyio.to_thread.run_sync(run, calculator, items, explain)
    body = answer([orjson.dumps(results)], len(results), failed)
    gzip = gzip and len(body) >= GZIP_FROM_BYTES
    if gzip:
        body = await anyio.to_thread.run_sync(gzip_bytes, body)  # zlib lets go of the GIL
    return body, gzip
