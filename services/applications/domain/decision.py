"""The decision: per component what the rules computed and what the caseworker decided, with reasons,
the legal basis, and how to appeal.

Outcome (derived, never typed in):
    granted  = max(0, sum(decided norm + costs) - sum(decided incomes))
    computed = the same sum over the computed amounts (the calculation's entitlement before adjustments)
    refused if granted == 0; partly_approved if granted < computed; approved otherwise.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints, model_validator

from kit.i18n import N_
from services.applications.domain.content import Kronor, LongText, MemberRef, Period
from services.applications.domain.lifecycle import Outcome
from services.applications.domain.need_reasons import NeedReason
from services.applications.domain.signing import ContentHash
from services.applications.domain.text import NoNulModel
from services.applications.domain.texts import tr

SYSTEM_DECIDER = "system"
NEW_SOL_IN_FORCE = dt.date(2025, 7, 1)  # socialtjänstlagen (2025:400)

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
ComponentCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.:-]{1,64}$")]


class _Model(NoNulModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ComponentKind(StrEnum):
    NORM = "norm"  # riksnorm (personal costs, household common costs)
    COST = "cost"  # a reasonable cost outside the norm: rent, electricity, ...
    INCOME = "income"  # deducted


class DecisionComponent(_Model):
    kind: ComponentKind
    code: ComponentCode  # "riksnorm", "rent", a CostType or an IncomeType value
    member: MemberRef | None = None
    computed: Kronor  # what the calculation gave (0 for a line the caseworker adds)
    decided: Kronor
    reason: Reason | None = None  # required when decided differs from computed

    @property
    def adjusted(self) -> bool:
        return self.decided != self.computed

    @model_validator(mode="after")
    def _adjustment_needs_reason(self) -> Self:
        if self.adjusted and not self.reason:
            raise ValueError(f"the change to '{self.code}' needs a reason")
        return self


class CalculationSnapshot(_Model):
    """What the calculation service was given (by hash) and answered, kept with the decision for appeals."""

    input_hash: ContentHash
    entitlement: Kronor
    result: dict[str, Any]


class LegalReference(_Model):
    sv: str
    en: str


class AppealInfo(_Model):
    sv: str
    en: str


# The texts are kept with each decision in Swedish and English as they read on the day (an appeal reads what was
# sent); other languages translate the English one when the catalog knows it (domain/texts.stored).
_APPEAL = N_(
    "If you do not agree with the decision, you can appeal to the administrative court (förvaltningsrätten). "
    "The appeal must be in writing. Say which decision you are appealing and what change you want. Send or "
    "hand in the appeal to the social services, who made the decision, not directly to the court. The appeal "
    "must reach the social services within three weeks from the day you received the decision. The social "
    "services can help you write it. (Sections 43 and 44 of the Administrative Procedure Act (2017:900))"
)
APPEAL_INFO = AppealInfo(sv=tr("sv")(_APPEAL), en=_APPEAL)

_NEW_SOL_EN = N_("The Social Services Act (2025:400), the provisions on the right to financial assistance "
                 "(försörjningsstöd); formerly Chapter 4, Section 1 of the Social Services Act (2001:453).")
_OLD_SOL_EN = N_("Chapter 4, Sections 1 and 3 of the Social Services Act (2001:453).")
_NEW_SOL = LegalReference(sv=tr("sv")(_NEW_SOL_EN), en=_NEW_SOL_EN)
_OLD_SOL = LegalReference(sv=tr("sv")(_OLD_SOL_EN), en=_OLD_SOL_EN)


def legal_basis(decided_on: dt.date) -> list[LegalReference]:
    """The law in force on the day of the decision (older decisions stay as they were, e.g. on appeal)."""
    return [_NEW_SOL if decided_on >= NEW_SOL_IN_FORCE else _OLD_SOL]


def entitlement(components: Iterable[DecisionComponent], which: Literal["computed", "decided"]) -> int:
    total = 0
    for c in components:
        amount = c.computed if which == "computed" else c.decided
        total += -amount if c.kind is ComponentKind.INCOME else amount
    return max(0, total)


def derive_outcome(granted: int, computed_entitlement: int) -> Outcome:
    if granted == 0:
        return Outcome.REFUSED
    if granted < computed_entitlement:
        return Outcome.PARTLY_APPROVED
    return Outcome.APPROVED


class DecisionInput(_Model):
    """What the caseworker sends (a request body): the amounts and the written reasons."""

    components: list[DecisionComponent] = Field(min_length=1, max_length=200)
    reasons_sv: Annotated[LongText, Field(min_length=1)] | None = None
    reasons_en: Annotated[LongText, Field(min_length=1)] | None = None
    # försörjningshinder (need_reasons.py): a person's decision names it (need_reasons.reason_for_decision); an
    # automated one inherits it; decisions made before it was recorded have none.
    reason_for_need: NeedReason | None = None


class Decision(DecisionInput):
    """A made decision. Build it with ``make_decision``; the derived fields are re-checked on every load."""

    case_id: uuid.UUID
    period: Period
    decided_at: AwareDatetime
    decided_by: str  # the caseworker's subject, or "system" for an automated approval
    decided_by_name: str | None = None  # as signed on the letter (beslutsfattare)
    calculation: CalculationSnapshot
    computed_entitlement: Kronor
    granted: Kronor
    outcome: Outcome
    legal_basis: list[LegalReference]
    appeal: AppealInfo = APPEAL_INFO
    # An automated approval (decided_by "system"), made under the municipality's named delegation.
    automated: bool = False
    delegation: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        computed = entitlement(self.components, "computed")
        if computed != self.calculation.entitlement:
            raise ValueError("the components do not add up to the calculation's entitlement")
        granted = entitlement(self.components, "decided")
        derived = (computed, granted, derive_outcome(granted, computed))
        if (self.computed_entitlement, self.granted, self.outcome) != derived:
            raise ValueError("granted amount or outcome does not follow from the components")
        if self.outcome is not Outcome.APPROVED and not self.reasons_sv:
            raise ValueError("a refusal or partial approval needs written reasons")
        if self.automated != (self.decided_by == SYSTEM_DECIDER):
            raise ValueError("an automated decision is the system's, and the system's decisions are automated")
        if self.automated and (self.outcome is not Outcome.APPROVED or any(c.adjusted for c in self.components)):
            # Automation may approve what the rules computed; anything else is a human decision.
            raise ValueError("an automated decision can only approve the computed amounts")
        return self


def make_decision(
    decision_input: DecisionInput,
    *,
    case_id: uuid.UUID,
    period: str,
    decided_at: dt.datetime,
    decided_by: str,
    calculation: CalculationSnapshot,
    decided_by_name: str | None = None,
    delegation: str | None = None,
) -> Decision:
    computed = entitlement(decision_input.components, "computed")
    granted = entitlement(decision_input.components, "decided")
    return Decision(
        **decision_input.model_dump(),
        case_id=case_id,
        period=period,
        decided_at=decided_at,
        decided_by=decided_by,
        decided_by_name=decided_by_name,
        calculation=calculation,
        computed_entitlement=computed,
        granted=granted,
        outcome=derive_outcome(granted, computed),
        legal_basis=legal_basis(decided_at.date()),
        automated=decided_by == SYSTEM_DECIDER,
        delegation=delegation,
    )
