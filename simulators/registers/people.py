"""The synthetic people the registers simulator knows, and the JSON shape the control endpoint takes them in.

Every personnummer is a valid test number (serial 98x, Luhn-checked by the ``personnummer`` library); the demo
personas of the dev IdP are here with the same numbers, so a ``make run`` look-up finds them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from personnummer import personnummer as _pnr
from pydantic import BaseModel, ConfigDict, Field, field_validator

PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


class Kalla(StrEnum):
    """The sources of the composite answer; the value is the element name on the wire."""

    FORSAKRINGSKASSAN = "Forsakringskassan"
    PENSIONSMYNDIGHETEN = "Pensionsmyndigheten"
    SKATTEVERKET = "Skatteverket"
    CSN = "CSN"
    ARBETSFORMEDLINGEN = "Arbetsformedlingen"
    AKASSA = "Akassa"
    TRANSPORTSTYRELSEN = "Transportstyrelsen"
    MIGRATIONSVERKET = "Migrationsverket"


# Which source pays which benefit (förmån).
PAYER: dict[str, Kalla] = {
    **{b: Kalla.FORSAKRINGSKASSAN for b in (
        "bostadsbidrag", "sjukpenning", "foraldrapenning", "underhallsstod", "aktivitetsstod", "sjukersattning",
        "etableringsersattning")},
    "pension": Kalla.PENSIONSMYNDIGHETEN,
    "studiemedel": Kalla.CSN,
    "arbetsloshetsersattning": Kalla.AKASSA,
}


class Address(BaseModel):
    street: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(pattern=r"^\d{3} ?\d{2}$")
    city: str = Field(min_length=1, max_length=100)


class Payment(BaseModel):
    benefit: str = Field(description="One of: " + ", ".join(PAYER))
    period: str = Field(pattern=PERIOD)
    amount: int = Field(ge=0, description="Kronor paid out for the month.")

    @field_validator("benefit")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in PAYER:
            raise ValueError("unknown benefit")
        return value


class TaxedIncome(BaseModel):
    year: int = Field(ge=1900, le=2200)
    amount: int = Field(ge=0)


class ActivityReport(BaseModel):
    period: str = Field(pattern=PERIOD)
    submitted: bool


class AfRegistration(BaseModel):
    status: str = Field(pattern="^(inskriven|ej_inskriven|avaktualiserad)$")
    programme: str | None = Field(default=None, max_length=200)
    since: dt.date | None = None
    activity_reports: list[ActivityReport] = Field(default_factory=list)


class Vehicle(BaseModel):
    registration: str = Field(max_length=10)
    kind: str = Field(default="personbil", max_length=50)
    owned_since: dt.date | None = None


class Permit(BaseModel):
    kind: str = Field(max_length=100)
    valid_until: dt.date | None = None


class Person(BaseModel):
    """All the simulator knows of one person: the body of POST /control/people."""

    model_config = ConfigDict(extra="forbid")

    personal_number: str = Field(description="12 digits (10 or with '-' are accepted and normalised).")
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    protected: bool = Field(default=False, description="Skyddad folkbokföring / sekretessmarkering.")
    address: Address | None = None
    payments: list[Payment] = Field(default_factory=list)
    taxed_incomes: list[TaxedIncome] = Field(default_factory=list)
    af: AfRegistration | None = None
    vehicles: list[Vehicle] = Field(default_factory=list)
    permits: list[Permit] = Field(default_factory=list)
    residents: list[Annotated[str, Field(pattern=r"^\d{12}$")]] | None = Field(
        default=None, max_length=100,
        description="Who Navet lists as registered at the same address (12 digits); left out: everyone else known "
                    "at that address who is not protected.")

    @field_validator("personal_number")
    @classmethod
    def _valid(cls, value: str) -> str:
        try:
            return _pnr.Personnummer(value).format(long_format=True)
        except _pnr.PersonnummerException:
            raise ValueError("not a valid personnummer") from None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def months_back(today: dt.date, count: int) -> list[str]:
    """The ``count`` calendar months before ``today``'s month, oldest first (the months a client applies for)."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(f"{year:04d}-{month:02d}")
    return list(reversed(out))


def _monthly(benefit: str, amount: int, months: list[str]) -> list[Payment]:
    return [Payment(benefit=benefit, period=m, amount=amount) for m in months]


def seed(today: dt.date) -> list[Person]:
    """The demo people, with incomes for the six months before ``today``."""
    months = months_back(today, 6)
    last_year = today.year - 1
    storgatan = Address(street="Storgatan 12 lgh 1102", postal_code="852 30", city="Sundsvall")
    return [
        # Anna and Bertil: a couple at one address (dev IdP personas).
        Person(personal_number="198903149808", first_name="Anna", last_name="Andersson", address=storgatan,
               payments=_monthly("bostadsbidrag", 1_850, months),
               taxed_incomes=[TaxedIncome(year=last_year, amount=96_400)],
               af=AfRegistration(status="inskriven", programme="Jobb- och utvecklingsgarantin",
                                 since=dt.date(last_year, 9, 1),
                                 activity_reports=[ActivityReport(period=m, submitted=True) for m in months])),
        Person(personal_number="199107229800", first_name="Bertil", last_name="Andersson", address=storgatan,
               payments=_monthly("sjukpenning", 9_450, months[-3:]),
               taxed_incomes=[TaxedIncome(year=last_year, amount=142_300)]),
        Person(personal_number="197501029800", first_name="Cecilia", last_name="Carlsson",
               address=Address(street="Bergsgatan 4", postal_code="852 34", city="Sundsvall"),
               payments=[*_monthly("sjukersattning", 11_240, months), *_monthly("underhallsstod", 1_673, months),
                         *_monthly("bostadsbidrag", 2_100, months)],
               taxed_incomes=[TaxedIncome(year=last_year, amount=168_900)]),
        # Dana: protected identity; the population register gives no address, and she is nobody's co-resident.
        Person(personal_number="198209309809", first_name="Dana", last_name="Dahl", protected=True,
               address=Address(street="Skyddad adress 1", postal_code="851 00", city="Sundsvall"),
               payments=_monthly("foraldrapenning", 7_820, months),
               taxed_incomes=[TaxedIncome(year=last_year, amount=88_000)]),
        # Erik: owns vehicles (an asset to assess), a-kassa payments.
        Person(personal_number="196804119805", first_name="Erik", last_name="Ek",
               address=Address(street="Skogsvägen 7", postal_code="856 50", city="Sundsvall"),
               payments=_monthly("arbetsloshetsersattning", 14_300, months[-4:]),
               taxed_incomes=[TaxedIncome(year=last_year, amount=287_500)],
               vehicles=[Vehicle(registration="ABC123", kind="personbil", owned_since=dt.date(2019, 5, 2)),
                         Vehicle(registration="XYZ98K", kind="motorcykel", owned_since=dt.date(2023, 6, 14))]),
        # Farah: residence permit ending soon, etableringsersättning.
        Person(personal_number="198706059808", first_name="Farah", last_name="Hassan",
               address=Address(street="Nackstavägen 21", postal_code="853 52", city="Sundsvall"),
               payments=_monthly("etableringsersattning", 6_930, months),
               permits=[Permit(kind="Tidsbegränsat uppehållstillstånd",
                               valid_until=today + dt.timedelta(days=45))]),
        # Gustav: registered at Arbetsförmedlingen in a programme, missed the last two activity reports.
        Person(personal_number="199502179808", first_name="Gustav", last_name="Gran",
               address=Address(street="Östermalmsgatan 3", postal_code="852 38", city="Sundsvall"),
               payments=_monthly("aktivitetsstod", 5_720, months[:-2]),
               af=AfRegistration(status="inskriven", programme="Arbetsmarknadsutbildning",
                                 since=dt.date(last_year, 3, 15),
                                 activity_reports=[ActivityReport(period=m, submitted=i < len(months) - 2)
                                                   for i, m in enumerate(months)])),
        # Hilda: old-age pension.
        Person(personal_number="195208239805", first_name="Hilda", last_name="Holm",
               address=Address(street="Villavägen 9", postal_code="854 61", city="Sundsvall"),
               payments=_monthly("pension", 12_870, months),
               taxed_incomes=[TaxedIncome(year=last_year, amount=176_000)]),
        # Ida: a student with study grants.
        Person(personal_number="200103129805", first_name="Ida", last_name="Ibrahim",
               address=Address(street="Universitetsallén 2", postal_code="852 33", city="Sundsvall"),
               payments=_monthly("studiemedel", 3_496, months),
               taxed_incomes=[TaxedIncome(year=last_year, amount=31_000)]),
    ]
