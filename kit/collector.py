"""Python's garbage collector in a long-running service.

Most of a request's objects are freed by reference counting; the cyclic collector only has to find cycles. By
default it runs its youngest generation every 700 new container objects, which under load is hundreds of times a
second, and each run also walks whatever the requests in flight still hold; every tenth runs the middle generation
too. Each pass stops the event loop. Measured on the submit path (bench/applications.py, 2026-12-01): about 7 % of
the applications process's CPU went to collections, with pauses of up to 18 ms while 32 requests waited.
"""

from __future__ import annotations

import gc

OLDER_EVERY = 20  # the middle and oldest generations run after this many runs of the one below (CPython: 10)


def settle(young_threshold: int) -> None:
    """Call once start-up is done. What start-up made (modules, routes, schemas, tables) lives as long as the process:
    it is moved out of the collector's reach, so full collections stay short. The youngest generation then runs
    every ``young_threshold`` new container objects (0 keeps CPython's thresholds)."""
    gc.collect()
    gc.freeze()
    if young_threshold > 0:
        gc.set_threshold(young_threshold, OLDER_EVERY, OLDER_EVERY)
