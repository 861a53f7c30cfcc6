"""The calculation engine in-process, on one core: households per second WITH the explanation lines.

Three figures over the same mix of households (singles, couples, children with and without lunch,
other adults, rent over and under the ceiling, wages with and without jobbstimulans, benefits, assets):
  engine          normalised input -> result with every line and the input hash (target >= 20 000/s)
  request path    decoded JSON -> fast parse -> checks -> normalise -> engine (what one batch item costs)
  + JSON out      the same plus orjson encoding of the answer
Figures, not pass/fail. Usage: .venv/bin/python bench/calculation_inprocess.py [--households 20000]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.calculation.domain import engine, inputs  # noqa: E402
from services.calculation.service import fastparse  # noqa: E402
from services.calculation.service.calculator import Calculator  # noqa: E402
from services.calculation.store import norm_tables  # noqa: E402
from services.calculation.store.ceilings import load_ceilings  # noqa: E402

CEILINGS = "1:7500,2:9000,3:11000,4:12500,5:14000"


def _month_before(year: int, month: int, back: int) -> str:
    index = year * 12 + month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def households(count: int, seed: int = 4) -> list[dict[str, Any]]:
    """A deterministic mix of realistic requests (the shape applications sends)."""
    rnd = random.Random(seed)
    out = []
    for n in range(count):
        year = rnd.choice((2024, 2025, 2026, 2026, 2026))
        month = rnd.randint(1, 12)
        partner = rnd.random() < 0.35
        kids = rnd.choice((0, 0, 0, 1, 1, 2, 2, 3, 4))
        children = []
        for k in range(kids):
            age = rnd.randint(0, 17)
            children.append({"ref": f"barn{k + 1}", "birth_date": f"{year - age - 1:04d}-{rnd.randint(1, 12):02d}-"
                                                                  f"{rnd.randint(1, 28):02d}",
                             "lunch_at_home": rnd.random() < 0.5, "school_youth": age >= 16})
        adults = [{"ref": "vuxen1", "birth_date": "1990-05-05"}] if rnd.random() < 0.05 else []
        members = ["applicant", *(["partner"] if partner else []), *(c["ref"] for c in children)]
        costs = [{"type": "rent", "amount": rnd.randint(4000, 15000), "member": None, "reason": None},
                 {"type": "household_electricity", "amount": rnd.randint(150, 800), "member": None, "reason": None},
                 {"type": "home_insurance", "amount": rnd.randint(80, 250), "member": None, "reason": None}]
        if children and rnd.random() < 0.5:
            costs.append({"type": "childcare", "amount": rnd.randint(300, 1600), "member": None, "reason": None})
        incomes = []
        if rnd.random() < 0.4:
            incomes.append({"type": "wages_net", "member": "applicant", "amount": rnd.randint(1000, 14000)})
        if rnd.random() < 0.3:
            incomes.append({"type": rnd.choice(("sjukpenning", "aktivitetsstod", "a_kassa", "etableringsersattning")),
                            "member": rnd.choice(members[:2]), "amount": rnd.randint(2000, 12000)})
        if children:
            incomes.append({"type": "barnbidrag", "member": "applicant", "amount": 1250 * len(children)})
            if rnd.random() < 0.3:
                incomes.append({"type": "bostadsbidrag", "member": "applicant", "amount": rnd.randint(500, 4000)})
        history = [_month_before(year, month, b) for b in range(1, rnd.choice((0, 3, 7, 12, 40)) + 1)]
        out.append({
            "month": f"{year:04d}-{month:02d}",
            "household": {"applicant": {"birth_date": f"{rnd.randint(1950, year - 19):04d}-03-14"},
                          "partner": {"birth_date": "1988-07-22"} if partner else None,
                          "children": children, "other_adults": adults, "persons_in_home": None},
            "costs": costs, "incomes": incomes, "support_history": history,
            "assets": [{"amount": rnd.randint(0, 3000), "text": "bank"}] if rnd.random() < 0.2 else [],
            "deductions": [], "municipality": None,
        })
        assert n == len(out) - 1
    return out


def rate(label: str, count: int, fn: Any, items: list[Any], lines: int | None = None) -> float:
    gc.collect()
    started = time.perf_counter()
    for item in items:
        fn(item)
    elapsed = time.perf_counter() - started
    per_second = count / elapsed
    extra = f"   ({lines / count:.1f} lines per household)" if lines else ""
    print(f"  {label:<16} {per_second:9,.0f} households/s   {elapsed / count * 1e6:6.1f} µs each{extra}")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs per figure")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    book = norm_tables.load()
    calc = Calculator(book, load_ceilings(CEILINGS, None))
    raw = households(args.households)
    prepared = []
    for item in raw:
        inp = fastparse.parse(item)
        assert inp is not None and not inputs.check(inp)
        prepared.append((inputs.normalise(inp), book.years[int(inp.month[:4])]))
    lines = sum(len(engine.calculate(i, n, calc.ceilings)["lines"]) for i, n in prepared)
    print(f"Calculation engine, one core, {args.households} households (best of {args.rounds})")
    results: dict[str, float] = {}
    for label, fn, items in (
        ("engine", lambda p: engine.calculate(p[0], p[1], calc.ceilings), prepared),
        ("request path", calc.from_raw, raw),
        ("+ JSON out", lambda r: orjson.dumps(calc.from_raw(r)), raw),
    ):
        results[label] = max(rate(label, len(items), fn, items, lines if label == "engine" else None)
                             for _ in range(args.rounds))
    print(f"best: engine {results['engine']:,.0f}/s, request path {results['request path']:,.0f}/s, "
          f"with JSON {results['+ JSON out']:,.0f}/s (target >= 20 000/s with explanations)")


if __name__ == "__main__":
    main()
