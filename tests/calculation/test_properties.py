"""Properties over many generated households (hypothesis): monotone in income and children, integer
amounts, lines that add up, determinism, and the fast parser agreeing with pydantic."""

from __future__ import annotations

import copy
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.calculation import parse_request
from services.calculation.domain.inputs import COST_TYPES, INCOME_TYPES
from services.calculation.service import fastparse
from services.calculation.service.requests import to_domain
from tests.calculation.conftest import months_before

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
KINDS = ("norm", "cost", "income", "disregard", "deduction")
TOTAL_OF = {"norm": "norm", "cost": "costs", "income": "incomes", "disregard": "disregarded",
            "deduction": "deductions"}


@st.composite
def births(draw, year: int, youngest: int, oldest: int) -> str:
    """A birth date making the person ``youngest``..``oldest`` (about) in ``year``, never after it."""
    born = draw(st.integers(year - oldest, year - youngest))
    return dt.date(born, draw(st.integers(1, 12)), draw(st.integers(1, 28))).isoformat()


@st.composite
def households(draw) -> dict:
    year = draw(st.integers(2021, 2026))
    month = f"{year}-{draw(st.integers(1, 12)):02d}"
    partner = draw(st.booleans())
    children = [{"ref": f"c{i}", "birth_date": draw(births(year, 1, 17)), "lunch_at_home": draw(st.booleans()),
                 "school_youth": draw(st.booleans())} for i in range(draw(st.integers(0, 5)))]
    adults = [{"ref": f"o{i}", "birth_date": draw(st.none() | births(year, 21, 80))}
              for i in range(draw(st.integers(0, 2)))]
    members = ["applicant", *(["partner"] if partner else []), *(c["ref"] for c in children),
               *(a["ref"] for a in adults)]
    amount = st.integers(0, 30_000)
    costs = [{"type": t, "amount": draw(amount), "member": None, "reason": "bedömd" if t == "other" else None}
             for t in draw(st.lists(st.sampled_from(COST_TYPES), max_size=6))]
    incomes = [{"type": t, "member": draw(st.sampled_from(members)), "amount": draw(amount)}
               for t in draw(st.lists(st.sampled_from(INCOME_TYPES), max_size=5))]
    history = draw(st.lists(st.sampled_from(months_before(month, 36)), max_size=36, unique=True))
    listed = len(members)
    return {"month": month,
            "household": {"applicant": {"birth_date": draw(births(year, 18, 90))},
                          "partner": {"birth_date": draw(births(year, 18, 90))} if partner else None,
                          "children": children, "other_adults": adults,
                          "persons_in_home": draw(st.none() | st.integers(listed, listed + 3))},
            "costs": costs, "incomes": incomes, "support_history": history,
            "assets": [{"amount": draw(st.integers(0, 5000)), "text": None} for _ in range(draw(st.integers(0, 2)))],
            "deductions": [{"type": "overpayment", "amount": draw(st.integers(0, 2000)), "reason": "återkrav"}
                           for _ in range(draw(st.integers(0, 1)))],
            "municipality": draw(st.none() | st.sampled_from(["Malmö", "goteborg"]))}


@SETTINGS
@given(households())
def test_amounts_are_integers_and_lines_add_up(calc, raw):
    result = calc.from_raw(raw)
    totals = result["totals"]
    for kind in KINDS:
        amounts = [ln["amount"] for ln in result["lines"] if ln["kind"] == kind]
        assert all(type(a) is int and a >= 0 for a in amounts)
        assert sum(amounts) == totals[TOTAL_OF[kind]]
    balance = totals["norm"] + totals["costs"] - totals["incomes"] + totals["disregarded"] - totals["deductions"]
    assert type(result["entitlement"]) is int and type(result["surplus"]) is int
    assert result["entitlement"] - result["surplus"] == balance
    assert min(result["entitlement"], result["surplus"]) == 0
    assert totals["disregarded"] <= totals["incomes"]
    bare = calc.from_raw(raw, explain=False)
    assert bare["lines"] == [] and {**bare, "lines": result["lines"]} == result
    for line in result["lines"]:
        assert line["text"]["sv"] and line["text"]["en"] and line["legal_reference"]["sv"] and line["rule_id"]
        assert line["norm_year"] == result["norm_year"]


@SETTINGS
@given(households(), st.sampled_from(INCOME_TYPES), st.integers(0, 50_000))
def test_more_income_never_raises_the_entitlement(calc, raw, kind, amount):
    more = copy.deepcopy(raw)
    more["incomes"].append({"type": kind, "member": "applicant", "amount": amount})
    assert calc.from_raw(more)["entitlement"] <= calc.from_raw(raw)["entitlement"]


@SETTINGS
@given(households(), st.data())
def test_another_child_never_lowers_the_norm(calc, raw, data):
    year = int(raw["month"][:4])
    more = copy.deepcopy(raw)
    more["household"]["children"].append({"ref": "newchild", "birth_date": data.draw(births(year, 1, 17)),
                                          "lunch_at_home": data.draw(st.booleans()), "school_youth": False})
    if more["household"]["persons_in_home"] is not None:
        more["household"]["persons_in_home"] += 1
    assert calc.from_raw(more)["totals"]["norm"] >= calc.from_raw(raw)["totals"]["norm"]


@SETTINGS
@given(households())
def test_deterministic_and_the_fast_parser_agrees_with_pydantic(calc, raw):
    assert calc.from_raw(raw) == calc.from_raw(copy.deepcopy(raw))
    fast = fastparse.parse(raw)
    assert fast is not None and fast == to_domain(parse_request(raw))


def test_the_fast_parser_strips_like_pydantic_and_refuses_what_it_refuses():
    raw = {"month": "2026-03", "household": {"applicant": {"birth_date": "1990-01-01"}},
           "costs": [{"type": "other", "amount": 5, "reason": "  padded  "}]}
    assert fastparse.parse(raw).costs[0].reason == to_domain(parse_request(raw)).costs[0].reason == "padded"
    for bad in ({**raw, "month": "2026-3"}, {**raw, "extra": 1}, {"month": "2026-03"}, [], None,
                {**raw, "costs": [{"type": "rent", "amount": True}]}):
        assert fastparse.parse(bad) is None
