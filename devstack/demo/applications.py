"""Demo data for `make run`: Anna and Bertil's submitted application in unit Nord, and Cecilia's draft.

Idempotent: a second run finds the month's applications (the database allows one per household and month)
and only finishes what is unfinished. Everything goes through the gateway, like a real client app.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import httpx

from simulators.idp.personas import PERSONAS

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def couple_content(period: str) -> dict[str, Any]:
    return {
        "kind": "first",
        "period": period,
        "household": {
            "applicant": {"personal_number": PERSONAS["anna"].personal_number, "name": "Anna Andersson"},
            "partner": {"personal_number": PERSONAS["bertil"].personal_number, "name": "Bertil Andersson",
                        "relation": "married"},
            "children": [{"ref": "child-1", "birth_date": "2022-02-01", "lunch_at_home": False}],
        },
        "housing": {"type": "rental", "rent": 8200, "household_size": 3},
        "incomes": {"items": [{"type": "barnbidrag", "member": "applicant", "amount": 1250},
                              {"type": "wages_net", "member": "partner", "amount": 6400}]},
        "costs": [{"type": "household_electricity", "amount": 450}, {"type": "home_insurance", "amount": 180}],
        "assets": {"bank_balances": [{"member": "applicant", "bank": "Sparbanken", "balance": 300}]},
        "plan": {"activities": [{"member": "applicant", "status": "registered_at_af"},
                                {"member": "partner", "status": "in_activity"}]},
        "message": "Vi behöver hjälp den här månaden.",
    }


async def _token(http: httpx.AsyncClient, idp_url: str, persona: str) -> dict[str, str]:
    answer = await http.get(f"{idp_url.rstrip('/')}/dev/token", params={"persona": persona})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.text.strip()}"}


async def _draft(http: httpx.AsyncClient, api: str, headers: dict[str, str], content: dict[str, Any]) -> dict:
    """The month's application: made now, or the one a previous run made."""
    created = await http.post(f"{api}/applications", headers=headers, json=content)
    if created.status_code == 409 and created.json().get("application_id"):
        existing = await http.get(f"{api}/applications/{created.json()['application_id']}", headers=headers)
        existing.raise_for_status()
        return existing.json()  # type: ignore[no-any-return]
    created.raise_for_status()
    return created.json()  # type: ignore[no-any-return]


async def seed(gateway_url: str, idp_url: str, period: str | None = None) -> None:
    period = period or dt.datetime.now(STOCKHOLM).strftime("%Y-%m")
    api = f"{gateway_url.rstrip('/')}/api/applications"
    async with httpx.AsyncClient(timeout=10.0) as http:
        anna, bertil = await _token(http, idp_url, "anna"), await _token(http, idp_url, "bertil")
        case = await _draft(http, api, anna, couple_content(period))
        if case["status"] == "draft":
            for who in (anna, bertil):
                (await http.post(f"{api}/applications/{case['id']}/signatures", headers=who)).raise_for_status()
            submitted = await http.post(f"{api}/applications/{case['id']}/submit",
                                        headers={**anna, "Idempotency-Key": f"demo-submit-{case['id']}"})
            submitted.raise_for_status()
        cecilia = await _token(http, idp_url, "cecilia")
        await _draft(http, api, cecilia, {"kind": "first", "period": period,
                                          "housing": {"type": "rental", "rent": 6500}})
