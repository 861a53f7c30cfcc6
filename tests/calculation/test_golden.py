"""Golden cases, computed by hand from the published norm tables (as kept in services/calculation/norms/), one or
more per year 2021..2026. The arithmetic is written out next to each case; the engine must agree to the krona."""

from __future__ import annotations

import dataclasses

import pytest

from services.calculation.domain import engine, inputs
from services.calculation.service import fastparse
from tests.calculation.conftest import child, lines_of, months_before, req


def test_2026_confirmed_totals_single_and_couple(calc):
    # Confirmed by the government decision for 2026 (+0.7 %): single adult 5 220, couple 8 510, norm alone.
    single = calc.from_raw(req("2026-01"))
    assert single["totals"]["norm"] == 5220 and single["entitlement"] == 5220  # 3 940 + 1 280
    couple = calc.from_raw(req("2026-01", partner="1991-07-22"))
    assert couple["totals"]["norm"] == 8510 and couple["entitlement"] == 8510  # 7 100 + 1 410


def test_2021_couple_with_two_small_children_one_without_lunch(calc):
    body = req("2021-03", partner="1988-02-02",
               children=[child("kid1", "2016-06-01"),                          # 4 on 2021-03-31: band 4-6 → 2 440
                         child("kid2", "2019-01-10", lunch_at_home=False)],    # 2: band 1-2 without lunch → 2 240
               costs=[{"type": "rent", "amount": 8000}, {"type": "household_electricity", "amount": 300}],
               incomes=[{"type": "barnbidrag", "member": "applicant", "amount": 2500}])
    result = calc.from_raw(body)
    # norm: pair 5 700 + 2 440 + 2 240 + common for 4 persons 1 610 = 11 990 (SFS 2020:1013)
    assert result["totals"]["norm"] == 11990
    # costs: rent 8 000 (under the 11 000 ceiling for 4) + electricity 300 = 8 300
    assert result["totals"]["costs"] == 8300
    # 11 990 + 8 300 - 2 500 = 17 790
    assert result["entitlement"] == 17790 and result["surplus"] == 0
    assert result["norm_year"] == 2021 and result["norm_source"] == "SFS 2020:1013"
    no_lunch = next(ln for ln in result["lines"] if ln["member"] == "kid2")
    assert no_lunch["rule_id"] == "riksnorm.personal.child_without_lunch" and no_lunch["confidence"] == "confirmed"


def test_2022_single_parent_rent_over_the_ceiling(calc):
    body = req("2022-06", children=[child("kid1", "2013-05-05"),    # 9 on 2022-06-30: band 7-10 → 3 110
                                    child("kid2", "2010-01-01")],   # 12: band 11-14 → 3 580
               costs=[{"type": "rent", "amount": 12000}],
               incomes=[{"type": "underhallsstod", "member": "kid1", "amount": 3000}])
    result = calc.from_raw(body)
    # norm: adult 3 210 + 3 110 + 3 580 + common for 3 persons 1 450 = 11 350
    assert result["totals"]["norm"] == 11350
    # rent 12 000 is over the ceiling for 3 persons (11 000): 11 000 counted, and the line says so
    rent = lines_of(result, "cost")[0]
    assert rent["amount"] == 11000 and rent["rule_id"] == "cost.rent.ceiling"
    assert "12000 kr" in rent["text"]["sv"] and "11000 kr" in rent["text"]["en"]
    # 11 350 + 11 000 - 3 000 = 19 350
    assert result["entitlement"] == 19350


def test_2023_three_children_and_a_school_youths_earnings(calc):
    body = req("2023-02", partner="1985-01-01",
               children=[child("baby", "2023-01-15"),                          # 0 → 2 420
                         child("kid", "2019-12-01"),                           # 3 on 2023-02-28 → band 3 → 2 410
                         child("teen", "2006-09-09", school_youth=True)],      # 16 → band 15-18 → 4 390
               incomes=[{"type": "sjukpenning", "member": "applicant", "amount": 9000},
                        {"type": "wages_net", "member": "teen", "amount": 2000}])
    result = calc.from_raw(body)
    # norm: 6 300 + 2 420 + 2 410 + 4 390 + common for 5 persons 2 060 = 17 580
    assert result["totals"]["norm"] == 17580
    # the teen's 2 000 is within one prisbasbelopp (52 500): disregarded in full
    assert result["totals"]["incomes"] == 11000 and result["totals"]["disregarded"] == 2000
    # 17 580 - (11 000 - 2 000) = 8 580
    assert result["entitlement"] == 8580


def test_2024_jobbstimulans_after_six_months(calc):
    history = months_before("2024-05", 6)  # 2023-11 .. 2024-04
    body = req("2024-05", incomes=[{"type": "wages_net", "member": "applicant", "amount": 6000}],
               support_history=history)
    result = calc.from_raw(body)
    # norm: 3 800 + 1 230 = 5 030; jobbstimulans 25 % of 6 000 = 1 500; 5 030 - (6 000 - 1 500) = 530
    assert result["totals"]["norm"] == 5030 and result["totals"]["disregarded"] == 1500
    assert result["entitlement"] == 530
    assert "månad 1 av 24" in lines_of(result, "disregard")[0]["text"]["sv"]
    # without the history: 5 030 - 6 000 = -970 → nothing to pay, a surplus of 970
    plain = calc.from_raw(req("2024-05", incomes=[{"type": "wages_net", "member": "applicant", "amount": 6000}]))
    assert plain["entitlement"] == 0 and plain["surplus"] == 970


def test_2025_household_of_nine(calc):
    kids = [child(f"kid{n}", "2015-01-01") for n in range(7)]  # 10 in 2025-04: band 7-10 → 3 790 each
    result = calc.from_raw(req("2025-04", partner="1980-01-01", children=kids))
    # common for 9: 7 persons 2 810 + 2 × (2 810 - 2 620) = 3 190
    # norm: 7 050 + 7 × 3 790 (26 530) + 3 190 = 36 770
    assert result["totals"]["norm"] == 36770
    common = next(ln for ln in result["lines"] if ln["component"] == "norm.common")
    assert common["amount"] == 3190


def test_2025_other_adult_sharing_the_home(calc):
    result = calc.from_raw(req("2025-04", other_adults=[{"ref": "sibling", "birth_date": "1995-05-05"}]))
    # 2 persons in the home, common 1 400: each pays 1 400 / 2 = 700
    # applicant 3 910 + 700; the sibling as living alone 3 910 + 700; norm 9 220
    assert result["totals"]["norm"] == 9220
    sibling = [ln["amount"] for ln in result["lines"] if ln["member"] == "sibling"]
    assert sorted(sibling) == [700, 3910]


def test_2025_the_law_of_the_month(calc):
    before = calc.from_raw(req("2025-06"))["lines"][0]["legal_reference"]["sv"]
    after = calc.from_raw(req("2025-07"))["lines"][0]["legal_reference"]["sv"]
    assert "2001:453" in before and "2025:400" not in before
    assert after.startswith("12 kap. 7 § socialtjänstlagen (2025:400)")


def test_2026_school_youth_of_nineteen(calc):
    body = req("2026-03", children=[child("student", "2006-05-01", school_youth=True)])  # 19 on 2026-03-31
    result = calc.from_raw(body)
    # adult 3 940 + band 19-20 4 990 + common for 2 1 410 = 10 340
    assert result["totals"]["norm"] == 10340


def test_socialstyrelsens_own_example_2017(book):
    """Socialstyrelsen (2017): an adult sharing a home of 5 gets 1 740 / 5 + 2 980 = 3 328."""
    norm2017 = dataclasses.replace(
        book.years[2021], year=2017, source_id="Socialstyrelsen 2017",
        children_with_lunch=(1860, 2100, 1850, 2100, 2690, 3120, 3540, 3570),
        adult_living_alone=2980, adults_living_together=5370,
        common_by_size=(950, 1060, 1330, 1520, 1740, 1980, 2150))
    raw = req("2017-05", partner="1980-01-01", children=[child("a", "2010-01-01"), child("b", "2012-01-01")],
              other_adults=[{"ref": "uncle", "birth_date": "1970-01-01"}], persons_in_home=5)
    inp = inputs.normalise(fastparse.parse(raw))
    result = engine.calculate(inp, norm2017)
    uncle = sum(ln["amount"] for ln in result["lines"] if ln["member"] == "uncle")
    assert uncle == 3328
    family_share = next(ln for ln in result["lines"] if ln["rule_id"] == "riksnorm.common.share")
    assert family_share["amount"] == 1392  # 1 740 × 4 / 5


def test_age_band_moves_in_the_birthday_month(calc):
    born = "2018-03-15"
    feb = calc.from_raw(req("2025-02", children=[child("k", born)]))  # still 6 → band 4-6 → 3 030
    mar = calc.from_raw(req("2025-03", children=[child("k", born)]))  # 7 in March → band 7-10 → 3 790
    amount = {r["month"]: next(ln["amount"] for ln in r["lines"] if ln["member"] == "k") for r in (feb, mar)}
    assert amount == {"2025-02": 3030, "2025-03": 3790}


@pytest.mark.parametrize(("history_months", "expected"), [
    (5, 0),       # only five months: not yet
    (6, 1500),    # six in a row: month 1 of 24
    (29, 1500),   # month 24 of 24
    (30, 0),      # the 24 months are over
])
def test_jobbstimulans_window(calc, history_months, expected):
    body = req("2026-03", incomes=[{"type": "wages_net", "member": "applicant", "amount": 6000}],
               support_history=months_before("2026-03", history_months))
    assert calc.from_raw(body)["totals"]["disregarded"] == expected


def test_a_gap_restarts_the_count(calc):
    history = months_before("2026-03", 8)
    history.remove(months_before("2026-03", 3)[0])  # a month without support three months ago
    body = req("2026-03", incomes=[{"type": "wages_net", "member": "applicant", "amount": 6000}],
               support_history=history)
    assert calc.from_raw(body)["totals"]["disregarded"] == 0


def test_childrens_earnings_up_to_one_prisbasbelopp(calc):
    kid = {**child("teen", "2010-01-01"), "earnings_earlier_this_year": 58000}  # 59 200 - 58 000 = 1 200 left
    body = req("2026-03", children=[kid], incomes=[{"type": "wages_net", "member": "teen", "amount": 2000}])
    result = calc.from_raw(body)
    assert result["totals"]["disregarded"] == 1200
    # an 18-year-old not in school: counted in full
    body = req("2026-03", children=[child("adult", "2007-06-01")],
               incomes=[{"type": "wages_net", "member": "adult", "amount": 2000}])
    assert calc.from_raw(body)["totals"]["disregarded"] == 0


def test_medical_costs_up_to_the_high_cost_ceilings(calc):
    body = req("2026-03", costs=[{"type": "medical", "amount": 5000, "member": "applicant"},
                                 {"type": "dental", "amount": 3000, "reason": "akut tandvård, bedömd"}])
    result = calc.from_raw(body)
    medical, dental = (next(ln for ln in result["lines"] if ln["component"] == k) for k in ("medical", "dental"))
    assert medical["amount"] == 1450 + 2900 and medical["rule_id"] == "cost.medical.high_cost_ceiling"
    assert dental["amount"] == 3000  # as assessed


def test_assets_and_overpayments_are_deducted(calc):
    body = req("2026-03", assets=[{"amount": 1000, "text": "sparkonto"}],
               deductions=[{"type": "overpayment", "amount": 500, "reason": "beslut 2026-01"}])
    result = calc.from_raw(body)
    # 5 220 - 1 000 - 500 = 3 720
    assert result["totals"]["deductions"] == 1500 and result["entitlement"] == 3720


def test_rent_ceiling_per_municipality(tmp_path, book):
    from services.calculation.service.calculator import Calculator
    from services.calculation.store.ceilings import load_ceilings

    path = tmp_path / "ceilings.toml"
    path.write_text('[default]\n1 = 6000\n2 = 7000\n\n[Goteborg]\n1 = 8000\n2 = 9500\n', encoding="utf-8")
    calc = Calculator(book, load_ceilings("", str(path)))
    rent = [{"type": "rent", "amount": 8500}]
    assert calc.from_raw(req("2026-03", costs=rent))["totals"]["costs"] == 6000
    assert calc.from_raw(req("2026-03", costs=rent, municipality="goteborg"))["totals"]["costs"] == 8000
    no_ceiling = Calculator(book, load_ceilings("", None))
    assert no_ceiling.from_raw(req("2026-03", costs=rent))["totals"]["costs"] == 8500


def test_input_hash_is_stable_and_order_free(calc):
    a = req("2026-03", children=[child("a", "2015-01-01"), child("b", "2016-01-01")],
            incomes=[{"type": "barnbidrag", "member": "applicant", "amount": 2500},
                     {"type": "pension", "member": "applicant", "amount": 100}])
    b = req("2026-03", children=[child("b", "2016-01-01"), child("a", "2015-01-01")],
            incomes=[{"type": "pension", "member": "applicant", "amount": 100},
                     {"type": "barnbidrag", "member": "applicant", "amount": 2500}])
    ra, rb = calc.from_raw(a), calc.from_raw(b)
    assert ra == rb
    assert ra["input_hash"].startswith("sha256:") and len(ra["input_hash"]) == 7 + 64
    c = req("2026-03", children=[child("a", "2015-01-01"), child("b", "2016-01-01")],
            incomes=[{"type": "barnbidrag", "member": "applicant", "amount": 2501}])
    assert calc.from_raw(c)["input_hash"] != ra["input_hash"]
