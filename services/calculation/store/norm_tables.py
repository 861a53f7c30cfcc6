"""Load the norm data files (norms/<year>.toml) at start-up, validate them, and hand out NormYear objects.

Adding a year is adding a file: nothing here names a year. A file that does not validate stops the
start (a wrong norm must never be used quietly); the message names the file and the field.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.calculation.domain.norms import BANDS, WITHOUT_LUNCH_BANDS, NormBook, NormYear, Text

NORMS_DIR = Path(__file__).resolve().parent.parent / "norms"

Kr = Annotated[int, Field(ge=0, le=100_000, strict=True)]
Confidence = Literal["confirmed", "probable", "derived"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Source(_Strict):
    id: str = Field(min_length=3)
    sv: str = Field(min_length=3)
    en: str = Field(min_length=3)


class _Personal(_Strict):
    confidence: Confidence
    note: str | None = None
    adult_living_alone: Kr
    adults_living_together: Kr
    children_with_lunch: dict[Literal[BANDS], Kr]  # type: ignore[valid-type]


class _WithoutLunch(_Strict):
    confidence: Confidence
    note: str | None = None
    children: dict[Literal[WITHOUT_LUNCH_BANDS], Kr]  # type: ignore[valid-type]


class _Common(_Strict):
    confidence: Confidence
    note: str | None = None
    by_size: list[Kr] = Field(min_length=7, max_length=7)


class _ConfirmedTotals(_Strict):
    confidence: Literal["confirmed"]
    source: str
    single_adult: Kr | None = None
    couple: Kr | None = None


class _Prisbasbelopp(_Strict):
    amount: Annotated[int, Field(ge=10_000, le=1_000_000, strict=True)]
    confidence: Confidence
    source: str


class _HighCost(_Strict):
    care: Kr
    medicine: Kr
    confidence: Confidence
    source: str


class NormFile(_Strict):
    year: Annotated[int, Field(ge=2000, le=2100)]
    source: _Source
    personal: _Personal
    personal_without_lunch: _WithoutLunch
    common: _Common
    confirmed_totals: _ConfirmedTotals | None = None
    prisbasbelopp: _Prisbasbelopp
    high_cost_ceilings: _HighCost

    def to_domain(self) -> NormYear:
        p, nl = self.personal, self.personal_without_lunch
        missing = [b for b in BANDS if b not in p.children_with_lunch]
        missing += [f"without lunch {b}" for b in WITHOUT_LUNCH_BANDS if b not in nl.children]
        if missing:
            raise ValueError(f"age bands missing: {', '.join(missing)}")
        totals = {}
        if self.confirmed_totals is not None:
            totals = {k: v for k, v in (("single_adult", self.confirmed_totals.single_adult),
                                        ("couple", self.confirmed_totals.couple)) if v is not None}
        notes = {k: v for k, v in (("personal", p.note), ("personal_without_lunch", nl.note),
                                   ("common", self.common.note), ("prisbasbelopp", self.prisbasbelopp.source),
                                   ("high_cost_ceilings", self.high_cost_ceilings.source)) if v}
        return NormYear(
            year=self.year,
            source_id=self.source.id,
            source=Text(self.source.sv, self.source.en),
            adult_living_alone=p.adult_living_alone,
            adults_living_together=p.adults_living_together,
            children_with_lunch=tuple(p.children_with_lunch[b] for b in BANDS),
            children_without_lunch=tuple(nl.children[b] for b in WITHOUT_LUNCH_BANDS),
            common_by_size=tuple(self.common.by_size),
            prisbasbelopp=self.prisbasbelopp.amount,
            high_cost_care=self.high_cost_ceilings.care,
            high_cost_medicine=self.high_cost_ceilings.medicine,
            confidence={"personal": p.confidence, "personal_without_lunch": nl.confidence,
                        "common": self.common.confidence, "prisbasbelopp": self.prisbasbelopp.confidence,
                        "high_cost_ceilings": self.high_cost_ceilings.confidence},
            notes=notes,
            confirmed_totals=totals,
        )


class NormDataError(RuntimeError):
    """A norm file is missing, malformed or inconsistent: the service must not start with it."""


def load_file(path: Path) -> NormYear:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        data = NormFile.model_validate(raw)
        norm = data.to_domain()
    except (OSError, tomllib.TOMLDecodeError, ValidationError, ValueError) as exc:
        raise NormDataError(f"{path.name}: {exc}") from exc
    if path.stem != str(norm.year):
        raise NormDataError(f"{path.name}: says year {norm.year}; the file must be named {norm.year}.toml")
    problems = norm.check()
    if problems:
        raise NormDataError(f"{path.name}: " + "; ".join(problems))
    return norm


def load(directory: Path = NORMS_DIR) -> NormBook:
    years = {}
    for path in sorted(directory.glob("*.toml")):
        norm = load_file(path)
        years[norm.year] = norm
    if not years:
        raise NormDataError(f"no norm files in {directory}")
    return NormBook(years)
