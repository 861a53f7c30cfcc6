"""Ekonomisk avstämning: each month, draw a few decided cases per caseworker for a closer check (receipts,
bank statements) instead of asking everyone for everything (Malmö: 5 per caseworker and month).

The draw is a keyed hash, not a random generator: the same month, seed and cases always give the same
sample (an auditor can re-run it), every case of a caseworker has the same chance, and without the
municipality's secret seed nobody can predict which cases will be picked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import defaultdict
from collections.abc import Iterable

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DEFAULT_PER_CASEWORKER = 5


def draw_key(case_id: str, month: str, seed: str) -> str:
    """The case's sort key for that month: HMAC-SHA256(seed, month | case_id)."""
    message = f"{month}\x1f{case_id}".encode()
    return hmac.new(seed.encode(), message, hashlib.sha256).hexdigest()


def draw_trust_checks(
    decided_cases: Iterable[tuple[str, str]],
    per_caseworker: int,
    month: str,
    seed: str,
) -> list[str]:
    """At most ``per_caseworker`` case ids per caseworker, chosen uniformly and reproducibly.

    ``decided_cases`` is (case_id, caseworker_id); its order does not matter and duplicates count once.
    The result is ordered by caseworker, then by draw order.
    """
    if not _MONTH.match(month):
        raise ValueError("month must be YYYY-MM")
    if per_caseworker < 0:
        raise ValueError("per_caseworker must be >= 0")
    if not seed:
        raise ValueError("a municipality seed is required")  # an empty key would make the draw predictable
    by_caseworker: dict[str, set[str]] = defaultdict(set)
    for case_id, caseworker_id in decided_cases:
        by_caseworker[str(caseworker_id)].add(str(case_id))
    chosen: list[str] = []
    for caseworker_id in sorted(by_caseworker):
        # A case listed under two caseworkers (a handover) is checked once, at most.
        ranked = sorted(by_caseworker[caseworker_id] - set(chosen), key=lambda cid: (draw_key(cid, month, seed), cid))
        chosen.extend(ranked[:per_caseworker])
    return chosen


def drawn_at_submission(case_id: str, month: str, seed: str, per_mille: int) -> bool:
    """The proposal's draw: the same keyed hash picks ``per_mille`` of a thousand applications for a closer look
    before the decision (reproducible with the seed, unpredictable without it)."""
    if not seed:
        raise ValueError("a municipality seed is required")
    return int(draw_key(case_id, month, seed)[:8], 16) % 1000 < per_mille
