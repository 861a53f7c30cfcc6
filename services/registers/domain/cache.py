"""The protected flag per person, reused for a short while: protection checks are frequent, the register slow.

Only answers of the register are kept (a silent register caches nothing). Bounded: when full, expired entries go
first, then everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


class ProtectionCache:
    def __init__(self, ttl: dt.timedelta, max_entries: int = 50_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._flags: dict[str, tuple[bool, dt.datetime]] = {}

    def known(self, personal_numbers: Iterable[str], now: dt.datetime) -> tuple[dict[str, bool], list[str]]:
        """(what is known now, who must be asked), the latter without repeats in the asked order."""
        known: dict[str, bool] = {}
        missing: list[str] = []
        for pnr in personal_numbers:
            entry = self._flags.get(pnr)
            if entry is not None and entry[1] > now:
                known[pnr] = entry[0]
            elif pnr not in missing:
                missing.append(pnr)
        return known, missing

    def remember(self, flags: dict[str, bool], now: dt.datetime) -> None:
        if len(self._flags) + len(flags) > self.max_entries:
            self._flags = {k: v for k, v in self._flags.items() if v[1] > now}
            if len(self._flags) + len(flags) > self.max_entries:
                self._flags.clear()
        until = now + self.ttl
        for pnr, protected in flags.items():
            self._flags[pnr] = (protected, until)

    def clear(self) -> None:
        self._flags.clear()
