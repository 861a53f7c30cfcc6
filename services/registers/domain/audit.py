"""What an audit row of a look-up holds, and the parts of it each reader is shown.

Registers keeps no register data: a row says who asked about whom, for which case, purpose and legal basis, which
sources were asked and how each answered, and the SHA-256 of the canonical JSON of what was answered (so an answer
kept by the caller can be shown to be the one given, without registers keeping it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from contracts.registers import Purpose, SectionStatus

NAVET = "navet"  # the population register, as a "source" of a population look-up


class Kind(StrEnum):
    INCOME = "income"
    POPULATION = "population"


class Who(StrEnum):
    """Who asked, as the person looked up is told: a category, never a caseworker's name or id."""

    CASEWORKER = "caseworker"
    AUTOMATED_PROCESS = "automated_process"


@dataclass(frozen=True)
class Outcome:
    source: str  # a contracts.registers.Source value, or "navet"
    status: SectionStatus
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "status": self.status.value, "error": self.error}


@dataclass(frozen=True)
class Asker:
    """Who asked: the calling service's client id, its process, and the caseworker when a person asked."""

    client_id: str
    process: str
    caseworker: str | None = None

    @property
    def who(self) -> Who:
        return Who.CASEWORKER if self.caseworker else Who.AUTOMATED_PROCESS

    @property
    def requested_by(self) -> str:
        return self.caseworker if self.caseworker else f"process:{self.process}"


@dataclass(frozen=True)
class Lookup:
    """One audit row: one person looked up once (a population look-up of several people writes one per person)."""

    id: uuid.UUID
    made_at: dt.datetime
    kind: Kind
    asker: Asker
    subject: str  # 12 digits; stored only as a keyed fingerprint and sealed
    case_id: uuid.UUID | None
    unit: str | None
    purpose: Purpose
    legal_basis: str
    period: str | None
    outcomes: tuple[Outcome, ...]
    answer_sha256: str | None  # None when nothing was answered


@dataclass(frozen=True)
class LookupRow:
    """An audit row as read back (the subject stays sealed in the store; readers are never shown it)."""

    id: uuid.UUID
    made_at: dt.datetime
    kind: Kind
    client_id: str
    process: str
    requested_by: str
    who: Who
    case_id: uuid.UUID | None
    unit: str | None
    purpose: Purpose
    legal_basis: str
    period: str | None
    outcomes: tuple[Outcome, ...]
    answer_sha256: str | None


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same answer always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def answer_hash(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value`` (an answer as sent, in its JSON form)."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def month_bounds(month: str, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The start of ``month`` (YYYY-MM) and of the next one, in ``zone``."""
    year, number = int(month[:4]), int(month[5:7])
    start = dt.datetime(year, number, 1, tzinfo=zone)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start, end
