"""Worker processes for batches (CALCULATION_BATCH_WORKERS): each holds its own Calculator and computes a chunk.

Workers get and return JSON bytes, not Python objects: orjson is several times cheaper than pickle for this
shape, and the answers are spliced into the response without being decoded again. When the caller takes gzip,
each worker also compresses its part (service/gzip_parts.py), so compression runs on every core.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import zlib
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import orjson

from services.calculation.service.batch import answer, run
from services.calculation.service.calculator import Calculator
from services.calculation.service.gzip_parts import deflate, gzip_answer
from services.calculation.settings import CalculationSettings
from services.calculation.store import norm_tables
from services.calculation.store.ceilings import load_ceilings

log = logging.getLogger("calculation.batch")

_worker_calc: Calculator | None = None


def _init_worker(norms_dir: str, ceilings: str, ceilings_file: str | None) -> None:
    global _worker_calc
    _worker_calc = Calculator(norm_tables.load(Path(norms_dir)), load_ceilings(ceilings, ceilings_file))


def _run_chunk(chunk: bytes, start: int, explain: bool, pack: bool) -> tuple[bytes, int, int, int]:
    """(items as JSON without brackets, deflated when ``pack``; failed; crc32 and length of the JSON)."""
    assert _worker_calc is not None
    results, failed = run(_worker_calc, orjson.loads(chunk), explain, start)
    body = orjson.dumps(results)[1:-1]
    if not pack:
        return body, failed, 0, len(body)
    return deflate(body), failed, zlib.crc32(body), len(body)


class WorkerPool:
    """Processes that each hold their own Calculator (the norm tables load once per process)."""

    def __init__(self, settings: CalculationSettings, workers: int) -> None:
        self.workers = workers
        self._initargs = (settings.norms_dir or str(norm_tables.NORMS_DIR), settings.rent_ceilings,
                          settings.rent_ceilings_file)
        self.pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the service process has an event loop and threads that must not be copied.
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=self._initargs)

    async def run(self, items: list[Any], explain: bool, *, gzip: bool) -> bytes:
        """The response body; gzipped when ``gzip``. A worker that died (killed for memory, say) takes its
        pool with it: start a new one and run the batch again once, rather than fail every later batch."""
        try:
            return await self._run(items, explain, gzip)
        except BrokenProcessPool:
            log.warning("batch worker pool broke; starting a new one")
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._start()
            return await self._run(items, explain, gzip)

    async def _run(self, items: list[Any], explain: bool, gzip: bool) -> bytes:
        loop = asyncio.get_running_loop()
        size = max(1, -(-len(items) // self.workers))
        futures = [loop.run_in_executor(self.pool, _run_chunk, orjson.dumps(items[a:a + size]), a, explain, gzip)
                   for a in range(0, len(items), size)]
        done = await asyncio.gather(*futures)
        failed = sum(f for _, f, _, _ in done)
        if gzip:
            return gzip_answer([(body, crc, length) for body, _, crc, length in done], len(items), failed)
        return answer([b"[" + body + b"]" for body, _, _, _ in done], len(items), failed)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
