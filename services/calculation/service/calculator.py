"""One calculation end to end, without HTTP: parse → check → pick the month's norm → engine.

Shared by the single, batch and trial use cases so that all three refuse the same things the same way.
A refusal is a Rejected (a DomainError the kit answers as 422 problem+json); a batch catches it item by item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from contracts.calculation import field_errors, parse_request
from kit.problems import problem_type
from services.calculation.domain import engine, inputs
from services.calculation.domain.engine import RentCeilings
from services.calculation.domain.norms import MonthNotCovered, NormBook, NormYear
from services.calculation.service import fastparse
from services.calculation.service.requests import to_domain
from values.errors import DomainError


class Rejected(DomainError):
    """The input cannot be calculated: 422, ``errors`` names each field."""

    status = 422

    def __init__(self, slug: str, title: str, detail: str, errors: list[dict[str, str]], **extra: Any) -> None:
        super().__init__(detail, code=slug, errors=errors, **extra)
        self.slug, self.title, self.errors = slug, title, errors

    def body(self) -> dict[str, Any]:
        """The problem+json body, for a batch item (a single calculation is answered by the kit)."""
        return {"type": problem_type(self.code), "title": self.title, "status": 422, "detail": self.detail,
                **self.extra}


def invalid(errors: list[dict[str, str]]) -> Rejected:
    return Rejected("validation-error", "Invalid request", "One or more fields are invalid.", errors)


@dataclass(frozen=True)
class Calculator:
    norms: NormBook
    ceilings: RentCeilings

    def from_raw(self, raw: Any, *, prefix: str = "", explain: bool = True) -> dict[str, Any]:
        """Decoded JSON in: the fast parser first, the contract's model when it is unsure (it names the field)."""
        fast = fastparse.parse(raw)
        if fast is not None:
            return self.from_domain(fast, prefix=prefix, explain=explain)
        try:
            request = parse_request(raw)
        except ValidationError as exc:
            raise invalid(field_errors(exc, prefix)) from None
        return self.from_domain(to_domain(request), prefix=prefix, explain=explain)

    def norm_for(self, month: str, *, prefix: str = "") -> NormYear:
        """The norm of a "YYYY-MM" month, or Rejected (month-not-covered) naming the field."""
        year = int(month[:4])
        try:
            return self.norms.for_year(year, month)
        except MonthNotCovered as exc:
            first, last = exc.years[0], exc.years[-1]
            raise Rejected("month-not-covered", "No norm for that month",
                           f"The norm tables cover {first}-01 to {last}-12; {month} is not covered.",
                           [{"field": f"{prefix}month", "message": f"no norm table for {year}",
                             "code": "month-not-covered"}], covered_years=list(exc.years)) from None

    def from_domain(self, inp: inputs.CalculationInput, *, prefix: str = "", explain: bool = True) -> dict[str, Any]:
        norm = self.norm_for(inp.month, prefix=prefix)
        problems = inputs.check(inp)
        if problems:
            raise invalid([{**p.as_dict(), "field": prefix + p.field} for p in problems])
        return engine.calculate(inputs.normalise(inp), norm, self.ceilings, explain=explain)
