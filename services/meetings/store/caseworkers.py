"""Caseworkers as their own tokens describe them (unit, clearance), and their calendar feed tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True)
class CaseworkerRow:
    id: str
    unit_id: str
    name: str
    protected_access: bool = False
    clearance_seen_at: dt.datetime | None = None  # when their own token last said so

    def cleared(self, now: dt.datetime, max_age: dt.timedelta) -> bool:
        """Cleared, as far as a decision about them by someone else may rely on: confirmed by their token lately."""
        return self.protected_access and self.clearance_seen_at is not None and self.clearance_seen_at >= now - max_age


async def upsert_caseworker(session: AsyncSession, caseworker_id: str, unit_id: str, name: str,
                            now: dt.datetime, protected_access: bool = False) -> None:
    """Known from their own token: unit, name and clearance for protected identity, refreshed on each use."""
    await session.execute(text(
        "INSERT INTO caseworkers (id, unit_id, name, updated_at, protected_access, clearance_seen_at) "
        "VALUES (:id, :u, :n, :now, :pa, :now) "
        "ON CONFLICT (id) DO UPDATE SET unit_id = EXCLUDED.unit_id, name = EXCLUDED.name, "
        "updated_at = EXCLUDED.updated_at, protected_access = EXCLUDED.protected_access, "
        "clearance_seen_at = EXCLUDED.clearance_seen_at, "
        # a feed made under another unit or a clearance now gone stops working
        "feed_token_hash = CASE WHEN caseworkers.unit_id <> EXCLUDED.unit_id OR (caseworkers.protected_access "
        "AND NOT EXCLUDED.protected_access) THEN NULL ELSE caseworkers.feed_token_hash END"),
        {"id": caseworker_id, "u": unit_id, "n": name, "now": now, "pa": protected_access})


async def refresh_caseworker(session: AsyncSession, caseworker_id: str, units: Iterable[str], home_unit: str | None,
                             protected_access: bool, now: dt.datetime, restamp_after: dt.timedelta) -> None:
    """What the caseworker's current token says, kept for decisions others make about them (no-op when unchanged
    and stamped within ``restamp_after``). A unit they no longer belong to is replaced by their token's unit;
    a changed unit or a lost clearance also ends their calendar feed (it was made under what they had)."""
    await session.execute(text(
        "UPDATE caseworkers SET protected_access = :pa, clearance_seen_at = :now, "
        "unit_id = CASE WHEN unit_id = ANY(CAST(:units AS text[])) THEN unit_id ELSE COALESCE(:home, unit_id) END, "
        "feed_token_hash = CASE WHEN NOT (unit_id = ANY(CAST(:units AS text[]))) OR (protected_access AND NOT :pa) "
        "THEN NULL ELSE feed_token_hash END "
        "WHERE id = :id AND (protected_access <> :pa OR NOT (unit_id = ANY(CAST(:units AS text[]))) "
        # a stamp from the future (another replica's clock ahead of ours) is renewed too
        "OR clearance_seen_at IS NULL OR clearance_seen_at < :restamp OR clearance_seen_at > :now)"),
        {"id": caseworker_id, "units": sorted(units), "home": home_unit, "pa": protected_access, "now": now,
         "restamp": now - restamp_after})


_CASEWORKER_COLUMNS = "id, unit_id, name, protected_access, clearance_seen_at"


def _caseworker(row: Any) -> CaseworkerRow:
    return CaseworkerRow(row.id, row.unit_id, row.name, row.protected_access, row.clearance_seen_at)


async def get_caseworker(session: AsyncSession, caseworker_id: str) -> CaseworkerRow | None:
    row = (await session.execute(text(f"SELECT {_CASEWORKER_COLUMNS} FROM caseworkers WHERE id = :id"),  # noqa: S608
                                 {"id": caseworker_id})).first()
    return _caseworker(row) if row else None


async def cleared_caseworker_ids(session: AsyncSession, unit_id: str, since: dt.datetime) -> frozenset[str]:
    """The unit's caseworkers cleared for clients with protected identity, confirmed by their own token since."""
    rows = (await session.execute(text(
        "SELECT id FROM caseworkers WHERE unit_id = :u AND protected_access AND clearance_seen_at >= :since"),
        {"u": unit_id, "since": since})).all()
    return frozenset(r.id for r in rows)


async def unit_caseworker_ids(session: AsyncSession, unit_id: str) -> list[str]:
    rows = (await session.execute(text("SELECT id FROM caseworkers WHERE unit_id = :u ORDER BY id"),
                                  {"u": unit_id})).all()
    return [r.id for r in rows]


async def set_feed_token_hash(session: AsyncSession, caseworker_id: str, token_hash: str | None,
                              expires_at: dt.datetime | None) -> None:
    """A new feed token (the previous one stops working), or none (revoked)."""
    await session.execute(text(
        "UPDATE caseworkers SET feed_token_hash = :h, feed_token_expires_at = :x WHERE id = :id"),
        {"h": token_hash, "x": expires_at, "id": caseworker_id})


async def caseworker_by_feed_hash(session: AsyncSession, token_hash: str, now: dt.datetime) -> CaseworkerRow | None:
    """The owner of a feed token that has not expired."""
    row = (await session.execute(text(
        f"SELECT {_CASEWORKER_COLUMNS} FROM caseworkers WHERE feed_token_hash = :h "  # noqa: S608 - constant
        "AND feed_token_expires_at > :now"), {"h": token_hash, "now": now})).first()
    return _caseworker(row) if row else None
