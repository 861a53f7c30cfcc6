"""Database refusals that mean "the time is taken" (the exclusion constraint has the last word)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error raised through SQLAlchemy's asyncpg adapter (None if there is none)."""
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None), exc.__cause__):
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


def is_booking_conflict(exc: DBAPIError) -> bool:
    """Another booking holds (or is taking) the time.

    23P01: the exclusion constraint refused the overlap. 40P01: two transactions wrote overlapping ranges at
    the same moment; each waits for the other's verdict in the constraint check, PostgreSQL aborts one of
    them, and the other keeps the time. Both mean "taken" for the caller whose transaction was refused.
    """
    return sqlstate(exc) in (EXCLUSION_VIOLATION, DEADLOCK_DETECTED)
