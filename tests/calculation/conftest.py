"""Calculation test helpers: the real norm files, a calculator, request builders, an app on a fresh database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from services.calculation.app import create_app
from services.calculation.service.calculator import Calculator
from services.calculation.settings import CalculationSettings
from services.calculation.store import norm_tables
from services.calculation.store.ceilings import load_ceilings
from tests.support import verifier_for

# Municipal rent ceilings used by the tests: 1 person 7 500, 2 persons 9 000, 3+ persons 11 000.
CEILINGS = "1:7500,2:9000,3:11000"
FIXED_NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def book():
    return norm_tables.load()


@pytest.fixture(scope="session")
def calc(book):
    return Calculator(book, load_ceilings(CEILINGS, None))


def req(month: str = "2026-03", *, applicant: str = "1990-01-01", partner: str | None = None,
        children: list[dict[str, Any]] | None = None, other_adults: list[dict[str, Any]] | None = None,
        persons_in_home: int | None = None, costs: list[dict[str, Any]] | None = None,
        incomes: list[dict[str, Any]] | None = None, support_history: list[str] | None = None,
        assets: list[dict[str, Any]] | None = None, deductions: list[dict[str, Any]] | None = None,
        municipality: str | None = None) -> dict[str, Any]:
    """A request body as a client would send it."""
    return {"month": month,
            "household": {"applicant": {"birth_date": applicant},
                          "partner": {"birth_date": partner} if partner else None,
                          "children": children or [], "other_adults": other_adults or [],
                          "persons_in_home": persons_in_home},
            "costs": costs or [], "incomes": incomes or [], "support_history": support_history or [],
            "assets": assets or [], "deductions": deductions or [], "municipality": municipality}


def child(ref: str, born: str, *, lunch_at_home: bool = True, school_youth: bool = False) -> dict[str, Any]:
    return {"ref": ref, "birth_date": born, "lunch_at_home": lunch_at_home, "school_youth": school_youth}


def months_before(month: str, count: int) -> list[str]:
    """The ``count`` months right before ``month``."""
    y, m = int(month[:4]), int(month[5:])
    out = []
    for _ in range(count):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        out.append(f"{y:04d}-{m:02d}")
    return sorted(out)


def lines_of(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [ln for ln in result["lines"] if ln["kind"] == kind]


def make_app(db_url: str, issuer: Any, **overrides: Any) -> Any:
    settings = CalculationSettings(database_url=db_url, rent_ceilings=CEILINGS, **overrides)
    return create_app(settings, clock=lambda: FIXED_NOW, verifier=verifier_for(issuer))
