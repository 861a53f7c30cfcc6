"""What a unit's monthly figures read: counts and percentiles computed by PostgreSQL, grouped by month in Swedish
time. Nothing here selects a person, a caseworker or a case id."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

# The month a moment falls in, in Swedish time.
_MONTH = "to_char({col} AT TIME ZONE 'Europe/Stockholm', 'YYYY-MM')"
# Hours from submission to decision.
_HOURS = "CAST(extract(epoch FROM d.decided_at - c.submitted_at) AS double precision) / 3600"


async def applications_by_source(session: AsyncSession, unit: str, start: dt.datetime,
                                 end: dt.datetime) -> list[dict[str, Any]]:
    """Applications the unit received (submitted) per month and source (digital, paper, phone, visit)."""
    rows = await session.execute(text(
        f"SELECT {_MONTH.format(col='submitted_at')} AS month, source, count(*) AS n FROM cases "  # noqa: S608
        "WHERE unit = :u AND submitted_at >= :s AND submitted_at < :e GROUP BY 1, 2"),
        {"u": unit, "s": start, "e": end})
    return [dict(r) for r in rows.mappings()]


async def decision_lead_times(session: AsyncSession, unit: str, start: dt.datetime,
                              end: dt.datetime) -> list[dict[str, Any]]:
    """Per month of decision: decisions, automated ones, and the median and 90th percentile of the hours from
    submission to decision (continuous percentiles: interpolated between the two nearest)."""
    rows = await session.execute(text(
        f"SELECT {_MONTH.format(col='d.decided_at')} AS month, count(*) AS decisions, "  # noqa: S608
        "count(*) FILTER (WHERE d.decided_by = 'system') AS automated, "
        "count(c.submitted_at) AS timed, "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {_HOURS}) AS median_hours, "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {_HOURS}) AS p90_hours "
        "FROM decisions d JOIN cases c ON c.id = d.case_id "
        "WHERE c.unit = :u AND d.decided_at >= :s AND d.decided_at < :e GROUP BY 1"),
        {"u": unit, "s": start, "e": end})
    return [dict(r) for r in rows.mappings()]


async def decisions_by(session: AsyncSession, column: str, unit: str, start: dt.datetime,
                       end: dt.datetime) -> list[dict[str, Any]]:
    """Decisions per month and ``column`` (outcome or reason_for_need; NULL kept)."""
    if column not in ("outcome", "reason_for_need"):
        raise ValueError(column)
    rows = await session.execute(text(
        f"SELECT {_MONTH.format(col='d.decided_at')} AS month, d.{column} AS key, count(*) AS n "  # noqa: S608
        "FROM decisions d JOIN cases c ON c.id = d.case_id "
        "WHERE c.unit = :u AND d.decided_at >= :s AND d.decided_at < :e GROUP BY 1, 2"),
        {"u": unit, "s": start, "e": end})
    return [dict(r) for r in rows.mappings()]
