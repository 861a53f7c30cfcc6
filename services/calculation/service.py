"""One calculation end to end, without HTTP: parse → check → pick the month's norm → engine.

Shared by the single, batch and trial endpoints so that all three refuse the same things the same way.
Errors are returned as problem bodies (never raised past here), so a batch can answer item by item.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kit.problems import Problem, problem_type
from services.calculation.api import fastparse
from services.calculation.api.schemas import CalculationRequest, field_errors, parse_request
from services.calculation.domain import engine, inputs
from services.calculation.domain.engine import RentCeilings
from services.calculation.domain.norms import MonthNotCovered, NormBook, NormYear


class Rejected(Exception):
    """The input cannot be calculated; ``problem`` is the problem+json body (status 422)."""

    def __init__(self, slug: str, title: str, detail: str, errors: list[dict[str, str]], **extra: Any) -> None:
        super().__init__(detail)
        self.slug, self.title, self.detail, self.errors, self.extra = slug, title, detail, errors, extra

    def body(self) -> dict[str, Any]:
        return {"type": problem_type(self.slug), "title": self.title, "status": 422, "detail": self.detail,
                "errors": self.errors, **self.extra}

    def problem(self) -> Problem:
        return Problem(422, self.slug, self.title, self.detail, errors=self.errors, **self.extra)


def invalid(errors: list[dict[str, str]]) -> Rejected:
    return Rejected("validation-error", "Invalid request", "One or more fields are invalid.", errors)


@dataclass(frozen=True)
class Calculator:
    norms: NormBook
    ceilings: RentCeilings

    def from_raw(self, raw: Any, *, prefix: str = "", explain: bool = True) -> dict[str, Any]:
        fast = fastparse.parse(raw)
        if fast is not None:
            return self.from_domain(fast, prefix=prefix, explain=explain)
        try:
            request = parse_request(raw)
        except ValidationError as exc:
            raise invalid(field_errors(exc, prefix)) from None
        return self.from_request(request, prefix=prefix, explain=explain)

    def from_request(self, request: CalculationRequest, *, prefix: str = "", explain: bool = True) -> dict[str, Any]:
        return self.from_domain(request.to_domain(), prefix=prefix, explain=explain)

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


def parse_ceilings(text: str) -> tuple[int, ...]:
    """ "1:7500,2:9000,3:11000" -> (7500, 9000, 11000): sizes 1..n, each once."""
    pairs: dict[int, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        size, sep, amount = part.partition(":")
        if not sep or not size.strip().isdigit() or not amount.strip().isdigit():
            raise ValueError(f"rent ceiling {part!r} is not 'size:kronor'")
        pairs[int(size)] = int(amount)
    if pairs and sorted(pairs) != list(range(1, len(pairs) + 1)):
        raise ValueError("rent ceilings must list the household sizes 1, 2, 3 ... without gaps")
    return tuple(pairs[n] for n in sorted(pairs))


def load_ceilings(default: str, path: str | None) -> RentCeilings:
    """The default list from the environment, per-municipality lists from a TOML file (see the README)."""
    table = parse_ceilings(default)
    by_municipality: dict[str, tuple[int, ...]] = {}
    if path:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        for name, sizes in data.items():
            if not isinstance(sizes, dict):
                raise ValueError(f"{path}: [{name}] must be a table of size = kronor")
            parsed = parse_ceilings(",".join(f"{k}:{v}" for k, v in sizes.items()))
            if name == "default":
                table = parsed
            else:
                by_municipality[name.lower()] = parsed
    return RentCeilings(table, by_municipality)
