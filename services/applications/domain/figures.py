"""A unit's monthly figures for its team lead (and admins): how applications came in, how long deciding took, what
was decided and why support was needed, and what the decision proposals found.

Counts, medians and percentiles are computed by the database (store/figures.py); this module says what the figures
are, which months a request covers, how a case's source is counted, and writes the CSV.

Which month a thing counts in (Swedish time): an application in the month it was submitted (received), a decision
in the month it was made. The lead time is hours from submission to decision, over the month's decisions.

No personal data: nothing in a figure names a person, a caseworker or a case. Small counts are shown as they are:
the only readers are the unit's own team lead and admins, who may open each of the unit's cases anyway, so a
small cell tells them nothing they may not read (a published statistic would suppress them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.applications.domain.lifecycle import Outcome
from services.applications.domain.need_reasons import NeedReason
from values.errors import DomainError

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
MAX_MONTHS = 24  # one request covers at most two years
ADMIN_ROLE = "admin"
TEAM_LEAD_ROLE = "team_lead"


class Channel(StrEnum):
    DIGITAL = "digital"  # made and signed by the client with e-ID
    PAPER = "paper"  # a paper form registered by staff
    STAFF_MADE = "staff_made"  # made by staff on the client's behalf (phone, visit)


# cases.source -> how it is counted (migration 0002: digital | paper | phone | visit).
CHANNEL_OF_SOURCE: dict[str, Channel] = {"digital": Channel.DIGITAL, "paper": Channel.PAPER,
                                         "phone": Channel.STAFF_MADE, "visit": Channel.STAFF_MADE}


def may_read_figures(roles: frozenset[str] | set[str], units: frozenset[str] | set[str], unit: str) -> bool:
    """Admins read any unit's figures; a team lead their own unit's."""
    return ADMIN_ROLE in roles or (TEAM_LEAD_ROLE in roles and unit in units)


def reads_figures_at_all(roles: frozenset[str] | set[str]) -> bool:
    return bool(roles & {ADMIN_ROLE, TEAM_LEAD_ROLE})


class FiguresWindowInvalid(DomainError):
    code = "figures-window-invalid"
    status = 422
    title = "Invalid months"


def month_index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def month_of(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (YYYY-MM, already checked for shape)."""
    a, b = month_index(first), month_index(last)
    if b < a:
        raise FiguresWindowInvalid("'to' is before 'from'.", errors=[
            {"field": "query.to", "message": "must not be before 'from'", "code": "window"}])
    if b - a + 1 > MAX_MONTHS:
        raise FiguresWindowInvalid(f"At most {MAX_MONTHS} months at a time.", errors=[
            {"field": "query.to", "message": f"at most {MAX_MONTHS} months after 'from'", "code": "window"}])
    return [month_of(i) for i in range(a, b + 1)]


def month_bounds(first: str, last: str) -> tuple[dt.datetime, dt.datetime]:
    """From the start of ``first`` to the start of the month after ``last``, in Swedish time."""
    def start(index: int) -> dt.datetime:
        return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=STOCKHOLM)

    return start(month_index(first)), start(month_index(last) + 1)


class _Figures(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplicationFigures(_Figures):
    total: int = 0
    digital: int = 0
    paper: int = 0
    staff_made: int = 0


class LeadTime(_Figures):
    decisions: int = Field(0, description="decisions with a submission time (the lead time's population)")
    median_hours: float | None = None
    p90_hours: float | None = None


class DecisionFigures(_Figures):
    total: int = 0
    approved: int = 0
    partly_approved: int = 0
    refused: int = 0
    automated: int = Field(0, description="made by the system (automated approvals), included in the total")


class ProposalFigures(_Figures):
    """What the decision proposals found for the applications of the month (store/proposals.proposal_figures)."""

    available: bool = Field(True, description="false when the proposals could not be counted: zeros then mean "
                                              "'not counted', not 'none'")
    proposals: int = 0
    by_outcome: dict[str, int] = Field(default_factory=dict,
                                       description="current proposals: all_passed, checks_failed, not_available")
    fast_lane: int = Field(0, description="proposals whose every check passed")
    automated_approvals: int = Field(0, description="approved by the system under the delegation, undone included")
    automated_approvals_undone: int = 0
    automation_rate: float | None = Field(None, description="automated approvals / proposals, 0..1")
    discrepancies_found: int = Field(0, description="applications where stated and register incomes differ")
    discrepancy_lines: int = Field(0, description="income lines where they differ")


def proposal_figures(counted: dict[str, Any]) -> ProposalFigures:
    """The month's proposal counts, shaped; the automation rate over the month's proposals."""
    proposals = int(counted["proposals"])
    automated = int(counted["automated_approvals"])
    return ProposalFigures(proposals=proposals, by_outcome=dict(counted["by_outcome"]),
                           fast_lane=int(counted["fast_lane"]), automated_approvals=automated,
                           automated_approvals_undone=int(counted["automated_approvals_undone"]),
                           automation_rate=round(automated / proposals, 4) if proposals else None,
                           discrepancies_found=int(counted["discrepancies"]["cases"]),
                           discrepancy_lines=int(counted["discrepancies"]["lines"]))


class MonthFigures(_Figures):
    month: str
    applications: ApplicationFigures = Field(default_factory=ApplicationFigures)
    lead_time: LeadTime = Field(default_factory=LeadTime)
    decisions: DecisionFigures = Field(default_factory=DecisionFigures)
    reasons_for_need: dict[str, int] = Field(
        default_factory=lambda: {r.value: 0 for r in NeedReason},
        description="decisions per reason for need (every code listed); 'unrecorded' for decisions without one")
    proposals: ProposalFigures = Field(default_factory=ProposalFigures)


def count_application(figures: ApplicationFigures, source: str, count: int) -> None:
    channel = CHANNEL_OF_SOURCE[source]
    setattr(figures, channel.value, getattr(figures, channel.value) + count)
    figures.total += count


def count_outcome(figures: DecisionFigures, outcome: str, count: int) -> None:
    setattr(figures, Outcome(outcome).value, count)


def hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def to_csv(unit: str, months: list[MonthFigures]) -> str:
    """One row per figure: unit, month, figure (dotted name), value; empty for a figure with no value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["unit", "month", "figure", "value"])
    for m in months:
        for group, values in m.model_dump(exclude={"month"}).items():
            for name, value in values.items():
                if isinstance(value, dict):
                    for key, inner in value.items():
                        writer.writerow([unit, m.month, f"{group}.{name}.{key}", inner])
                else:
                    writer.writerow([unit, m.month, f"{group}.{name}", "" if value is None else value])
    return out.getvalue()
