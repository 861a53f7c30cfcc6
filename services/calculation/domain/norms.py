"""A year's riksnorm as plain immutable data, and the small pure functions that read it.

The amounts live in data files (services/calculation/norms/<year>.toml, loaded by norm_tables.py);
this module only knows their shape. Kronor per month, integers.
"""

from __future__ import annotations

from dataclasses import dataclass

# Age bands of the children's personal costs (years, inclusive) in the order of the tables.
BANDS: tuple[str, ...] = ("0", "1-2", "3", "4-6", "7-10", "11-14", "15-18", "19-20")
WITHOUT_LUNCH_BANDS: tuple[str, ...] = BANDS[:4]  # only 0-6 year olds have the "ej lunch" row
# age -> index into BANDS; a list lookup is the cheapest thing in the hot path.
_BAND_OF_AGE: tuple[int, ...] = (0, 1, 1, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7)
OLDEST_CHILD_AGE = len(_BAND_OF_AGE) - 1  # 20: from 21 a person is an adult with a case of their own
CONFIDENCE = ("confirmed", "probable", "derived")


@dataclass(frozen=True, slots=True)
class Text:
    sv: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"sv": self.sv, "en": self.en}


@dataclass(frozen=True, slots=True)
class NormYear:
    year: int
    source_id: str  # short: "SFS 2020:1013"
    source: Text  # the full citation
    adult_living_alone: int
    adults_living_together: int  # for the pair, not per person
    children_with_lunch: tuple[int, ...]  # one per BANDS
    children_without_lunch: tuple[int, ...]  # one per WITHOUT_LUNCH_BANDS
    common_by_size: tuple[int, ...]  # household sizes 1..7
    prisbasbelopp: int
    high_cost_care: int  # högkostnadsskydd, öppen vård, per person and 12 months
    high_cost_medicine: int  # högkostnadsskydd, läkemedel
    confidence: dict[str, str]  # table name -> confirmed | probable | derived
    notes: dict[str, str]  # table name -> how it was read or derived
    confirmed_totals: dict[str, int]  # e.g. {"single_adult": 5220, "couple": 8510}, checked at load

    def common_costs(self, persons: int) -> int:
        """Household common costs for ``persons``; beyond 7 each extra person adds the step from 6 to 7."""
        table = self.common_by_size
        if persons <= len(table):
            return table[persons - 1]
        return table[-1] + (persons - len(table)) * (table[-1] - table[-2])

    def child_amount(self, age: int, lunch_at_home: bool) -> tuple[int, int, bool]:
        """(amount, band index, without-lunch row used) for a child of ``age`` (0..20) this month."""
        band = _BAND_OF_AGE[age]
        if not lunch_at_home and band < len(self.children_without_lunch):
            return self.children_without_lunch[band], band, True
        return self.children_with_lunch[band], band, False

    @property
    def single_adult_total(self) -> int:
        return self.adult_living_alone + self.common_costs(1)

    @property
    def couple_total(self) -> int:
        return self.adults_living_together + self.common_costs(2)

    def check(self) -> list[str]:
        """What is inconsistent in this year's data (empty when fine)."""
        problems = []
        if len(self.children_with_lunch) != len(BANDS):
            problems.append(f"children_with_lunch needs {len(BANDS)} bands")
        if len(self.children_without_lunch) != len(WITHOUT_LUNCH_BANDS):
            problems.append(f"children_without_lunch needs {len(WITHOUT_LUNCH_BANDS)} bands")
        if len(self.common_by_size) != 7:
            problems.append("common.by_size needs the sizes 1 to 7")
        elif any(b < a for a, b in zip(self.common_by_size, self.common_by_size[1:], strict=False)):
            problems.append("common.by_size must not fall with household size")
        for name, value in self.confidence.items():
            if value not in CONFIDENCE:
                problems.append(f"{name}: confidence {value!r} is not one of {', '.join(CONFIDENCE)}")
        expected = {"single_adult": self.single_adult_total, "couple": self.couple_total}
        for name, total in self.confirmed_totals.items():
            if name not in expected:
                problems.append(f"confirmed_totals: unknown total {name!r}")
            elif expected[name] != total:
                problems.append(f"confirmed_totals.{name} is {total} but the items give {expected[name]}")
        return problems

    def as_table(self) -> dict[str, object]:
        """The public view (GET /norms/{year}): every amount with its source and confidence."""
        return {
            "year": self.year,
            "source": {"id": self.source_id, **self.source.as_dict()},
            "personal": {
                "confidence": self.confidence["personal"],
                "note": self.notes.get("personal"),
                "adult_living_alone": self.adult_living_alone,
                "adults_living_together": self.adults_living_together,
                "children_with_lunch": dict(zip(BANDS, self.children_with_lunch, strict=True)),
            },
            "personal_without_lunch": {
                "confidence": self.confidence["personal_without_lunch"],
                "note": self.notes.get("personal_without_lunch"),
                "children": dict(zip(WITHOUT_LUNCH_BANDS, self.children_without_lunch, strict=True)),
            },
            "common": {
                "confidence": self.confidence["common"],
                "note": self.notes.get("common"),
                "by_size": {str(n): a for n, a in enumerate(self.common_by_size, start=1)},
                "beyond_7": "add the step from 6 to 7 persons for each person beyond 7",
            },
            "totals": {"single_adult": self.single_adult_total, "couple": self.couple_total,
                       "confirmed": self.confirmed_totals},
            "prisbasbelopp": {"amount": self.prisbasbelopp, "confidence": self.confidence["prisbasbelopp"],
                              "source": self.notes.get("prisbasbelopp")},
            "high_cost_ceilings": {"care": self.high_cost_care, "medicine": self.high_cost_medicine,
                                   "confidence": self.confidence["high_cost_ceilings"],
                                   "source": self.notes.get("high_cost_ceilings")},
        }


class MonthNotCovered(LookupError):
    def __init__(self, month: str, years: tuple[int, ...]) -> None:
        super().__init__(month)
        self.month = month
        self.years = years


@dataclass(frozen=True)
class NormBook:
    """Every year we have data for. The month applied for picks its year; no guessing beyond the data."""

    years: dict[int, NormYear]

    def for_year(self, year: int, month: str = "") -> NormYear:
        norm = self.years.get(year)
        if norm is None:
            raise MonthNotCovered(month or str(year), tuple(sorted(self.years)))
        return norm
