"""The norm data files: every year 2021..2026 loads, carries its source and confidence, and a broken or
inconsistent file stops the start. Adding a year is adding a file."""

from __future__ import annotations

import shutil

import pytest

from services.calculation.service.calculator import Calculator
from services.calculation.store import norm_tables
from services.calculation.store.ceilings import load_ceilings
from services.calculation.store.norm_tables import NORMS_DIR, NormDataError
from tests.calculation.conftest import req

EXPECTED = {  # year: (confidence of the personal table, adult living alone, common for 1) from the reference
    2021: ("confirmed", 3160, 1020), 2022: ("confirmed", 3210, 1040), 2023: ("confirmed", 3490, 1130),
    2024: ("probable", 3800, 1230), 2025: ("probable", 3910, 1270), 2026: ("derived", 3940, 1280),
}


def test_every_year_is_there_with_source_and_confidence(book):
    assert sorted(book.years) == list(range(2021, 2027))
    for year, (confidence, alone, common1) in EXPECTED.items():
        norm = book.years[year]
        assert norm.confidence["personal"] == confidence
        assert set(norm.confidence) == {"personal", "personal_without_lunch", "common", "prisbasbelopp",
                                        "high_cost_ceilings"}
        assert norm.adult_living_alone == alone and norm.common_by_size[0] == common1
        assert norm.source.sv and norm.source.en and norm.source_id
    assert book.years[2021].source_id == "SFS 2020:1013"
    assert book.years[2021].children_without_lunch == (2050, 2240, 1990, 2170)  # SFS 2020:1013, confirmed
    assert book.years[2022].confidence["personal_without_lunch"] == "derived"
    assert (book.years[2025].prisbasbelopp, book.years[2026].prisbasbelopp) == (58800, 59200)


def test_2026_items_are_2025_plus_0_7_percent_and_match_the_confirmed_totals(book):
    n25, n26 = book.years[2025], book.years[2026]
    for a, b in zip(n25.children_with_lunch + n25.common_by_size, n26.children_with_lunch + n26.common_by_size,
                    strict=True):
        assert b == round(a * 1.007 / 10) * 10
    assert n26.confirmed_totals == {"single_adult": 5220, "couple": 8510}
    assert (n26.single_adult_total, n26.couple_total) == (5220, 8510)


def _copy(tmp_path):
    target = tmp_path / "norms"
    shutil.copytree(NORMS_DIR, target)
    return target


def test_a_new_year_is_a_new_file(tmp_path):
    target = _copy(tmp_path)
    text = (target / "2026.toml").read_text(encoding="utf-8").replace("year = 2026", "year = 2027")
    (target / "2027.toml").write_text(text, encoding="utf-8")
    book = norm_tables.load(target)
    assert 2027 in book.years
    assert Calculator(book, load_ceilings("", None)).from_raw(req("2027-01"))["entitlement"] == 5220


@pytest.mark.parametrize(("change", "message"), [
    (("year = 2026", "year = 2025"), "must be named"),
    (('confidence = "derived"', 'confidence = "guessed"'), "confidence"),
    (("adult_living_alone = 3940", "adult_living_alone = 3950"), "confirmed_totals.single_adult"),
    (('"19-20" = 4990\n', ""), "19-20"),
    (("by_size = [1280, ", "by_size = ["), "by_size"),
    (("adults_living_together = 7100", "adults_living_together = -1"), "adults_living_together"),
])
def test_a_broken_file_stops_the_start(tmp_path, change, message):
    target = _copy(tmp_path)
    path = target / "2026.toml"
    old, new = change
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(NormDataError, match="2026.toml") as caught:
        norm_tables.load(target)
    assert message in str(caught.value)


def test_no_files_no_start(tmp_path):
    with pytest.raises(NormDataError):
        norm_tables.load(tmp_path)


@pytest.mark.parametrize("text", ["1:7500,3:9000", "1=7500", "one:7500", "2:9000"])
def test_a_bad_rent_ceiling_list_stops_the_start(text):
    with pytest.raises(ValueError, match="rent ceiling"):
        load_ceilings(text, None)


def test_rent_ceilings_beyond_the_list_use_the_last(book):
    ceilings = load_ceilings("1:7500,2:9000", None)
    assert [ceilings.ceiling(None, n) for n in (1, 2, 3, 9)] == [7500, 9000, 9000, 9000]
    assert load_ceilings("", None).ceiling("malmö", 2) is None
