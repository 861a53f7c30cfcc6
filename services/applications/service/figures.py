"""A unit's monthly figures for its team lead and admins (domain/figures.py says what they are)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.problems import Problem
from services.applications.domain.figures import (
    MonthFigures,
    count_application,
    count_outcome,
    hours,
    may_read_figures,
    month_bounds,
    months_between,
    proposal_figures,
    reads_figures_at_all,
)
from services.applications.store import figures as figures_store
from services.applications.store import proposals as proposals_store


def authorise(principal: Principal, unit: str) -> None:
    """Team leads of the unit and admins. Other roles are refused whatever the unit (403); a team lead asking for
    another unit gets the answer a unit that does not exist gets (404), so they learn nothing of it."""
    if principal.is_service or not reads_figures_at_all(principal.roles):
        raise Problem(403, "forbidden", "Forbidden", "Only team leads and admins see figures.")
    if not may_read_figures(principal.roles, principal.units, unit):
        raise Problem(404, "unit-not-found", "No such unit", "No figures for that unit.")


async def unit_figures(session: AsyncSession, principal: Principal, unit: str, first: str,
                       last: str) -> list[MonthFigures]:
    """The unit's figures for each month from ``first`` to ``last``; the read is audited (no personal data in it,
    but who looked at which unit's figures is kept like every staff read)."""
    months = months_between(first, last)
    start, end = month_bounds(first, last)
    out = {m: MonthFigures(month=m) for m in months}
    for row in await figures_store.applications_by_source(session, unit, start, end):
        count_application(out[row["month"]].applications, row["source"], row["n"])
    for row in await figures_store.decision_lead_times(session, unit, start, end):
        m = out[row["month"]]
        m.decisions.total, m.decisions.automated = row["decisions"], row["automated"]
        m.lead_time.decisions = row["timed"]
        m.lead_time.median_hours, m.lead_time.p90_hours = hours(row["median_hours"]), hours(row["p90_hours"])
    for row in await figures_store.decisions_by(session, "outcome", unit, start, end):
        count_outcome(out[row["month"]].decisions, row["key"], row["n"])
    for row in await figures_store.decisions_by(session, "reason_for_need", unit, start, end):
        out[row["month"]].reasons_for_need[row["key"] or "unrecorded"] = row["n"]
    for month, figures in out.items():
        figures.proposals = proposal_figures(await proposals_store.proposal_figures(session, unit, month))
    audit.record(session, principal, "read", "application_figures", unit, purpose="statistics",
                 details={"from": first, "to": last})
    await session.commit()
    return list(out.values())
