"""Monthly re-application (fortsatt ansökan) prefilled from last month, so the client changes only what changed."""

from __future__ import annotations

from kit.i18n import N_
from services.applications.domain.content import (
    ApplicationKind,
    DraftContent,
    Incomes,
    period_first_day,
)
from values.errors import DomainError


class PrefillPeriodError(DomainError):
    code = "prefill-period-not-later"
    status = 422
    title = N_("A re-application is for a later month")


def prefill_monthly(previous: DraftContent, period: str) -> DraftContent:
    """A draft for ``period`` built from the previous application.

    Carried: household, housing, plan and recurring costs. Incomes are carried but each is marked
    ``needs_confirmation``, which completeness reports until the client confirms or changes it.
    Not carried: one-off costs (medical, dental, other unless marked recurring), assets (bank
    balances change every month and must be declared anew), "no incomes" (must be answered
    again), the free-text message, and of course signatures.
    """
    draft = DraftContent(kind=ApplicationKind.MONTHLY, period=period)  # validates the period format
    if period_first_day(period) <= period_first_day(previous.period):
        raise PrefillPeriodError(f"The re-application must be for a month after {previous.period}.")
    incomes = None
    if previous.incomes is not None and previous.incomes.items:
        incomes = Incomes(items=[i.model_copy(update={"needs_confirmation": True}) for i in previous.incomes.items])
    return draft.model_copy(update={
        "household": previous.household.model_copy(deep=True) if previous.household else None,
        "housing": previous.housing.model_copy(deep=True) if previous.housing else None,
        "plan": previous.plan.model_copy(deep=True) if previous.plan else None,
        "costs": [c.model_copy() for c in previous.costs if c.is_recurring],
        "incomes": incomes,
    })
