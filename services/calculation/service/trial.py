"""The public trial calculation (provberäkning): a few plain numbers, or the full request, computed; nothing kept."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from contracts.calculation import field_errors, parse_trial
from kit.clock import Clock
from services.calculation.service.calculator import Calculator, invalid
from services.calculation.service.requests import trial_to_domain

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def calculate(calc: Calculator, raw: Any, clock: Clock) -> dict[str, Any]:
    """A CalculationResult; without a month, this month in Europe/Stockholm by ``clock``."""
    if isinstance(raw, dict) and "household" in raw:
        return calc.from_raw(raw)  # the full request is accepted too
    try:
        simple = parse_trial(raw)
    except ValidationError as exc:
        raise invalid(field_errors(exc)) from None
    month = simple.month or clock().astimezone(STOCKHOLM).strftime("%Y-%m")
    calc.norm_for(month)  # before ages become birth dates: year 0000 has no dates to compute
    return calc.from_domain(trial_to_domain(simple, month))
