"""Builders shared by the test_domain_* modules (no tests here). Personnummer are test numbers (serial 98x)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.applications.domain.content import DraftContent

ANNA = "198903149808"
BERTIL = "199107229800"
CECILIA = "197501029800"
DANA = "198209309809"
PERIOD = "2026-03"
WHEN = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def luhn_check(nine_digits: str) -> int:
    total = 0
    for i, ch in enumerate(nine_digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def pnr_for(birth: dt.date, serial: int = 980) -> str:
    """A valid 12-digit personnummer for a birth date (serial 980-989 are reserved test numbers)."""
    short = birth.strftime("%y%m%d") + f"{serial:03d}"
    return birth.strftime("%Y%m%d") + f"{serial:03d}" + str(luhn_check(short))


def couple_dict(**overrides: Any) -> dict[str, Any]:
    """A complete first application from Anna and Bertil with one preschool child, as JSON-ish data."""
    data: dict[str, Any] = {
        "kind": "first",
        "period": PERIOD,
        "household": {
            "applicant": {"personal_number": ANNA, "name": "Anna Andersson"},
            "partner": {"personal_number": BERTIL, "name": "Bertil Andersson", "relation": "married"},
            "children": [
                {"ref": "child-1", "birth_date": "2022-02-01", "lunch_at_home": False},
                {"ref": "child-2", "birth_date": "2016-06-15"},
            ],
            "other_adults": [],
        },
        "housing": {"type": "rental", "rent": 8200, "household_size": 4},
        "incomes": {
            "items": [
                {"type": "bostadsbidrag", "member": "applicant", "amount": 2100},
                {"type": "barnbidrag", "member": "applicant", "amount": 2500},
                {"type": "wages_net", "member": "partner", "amount": 6400},
            ]
        },
        "costs": [
            {"type": "household_electricity", "amount": 450},
            {"type": "home_insurance", "amount": 180},
            {"type": "childcare", "amount": 600, "member": "child-1"},
            {"type": "dental", "amount": 1200, "member": "applicant"},
        ],
        "assets": {"bank_balances": [{"member": "applicant", "bank": "Sparbanken", "balance": 300}]},
        "plan": {
            "activities": [
                {"member": "applicant", "status": "registered_at_af"},
                {"member": "partner", "status": "sick_listed", "has_medical_certificate": True},
            ]
        },
        "message": "Vi behöver hjälp med tandvårdsräkningen.",
    }
    data.update(overrides)
    return data


def couple(**overrides: Any) -> DraftContent:
    return DraftContent.model_validate(couple_dict(**overrides))


def single(**overrides: Any) -> DraftContent:
    data: dict[str, Any] = {
        "kind": "monthly",
        "period": PERIOD,
        "household": {"applicant": {"personal_number": CECILIA}},
        "housing": {"type": "sublet", "rent": 5600, "household_size": 1},
        "incomes": {"none_declared": True},
        "assets": {"none_declared": True},
        "plan": {"activities": [{"member": "applicant", "status": "in_activity"}]},
    }
    data.update(overrides)
    return DraftContent.model_validate(data)
