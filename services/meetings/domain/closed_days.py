"""Days without bookable weekly hours: Swedish public holidays and the de facto non-working eves.

Decisions:
* The official holidays come from the ``holidays`` library (``country_holidays("SE")``), called with
  ``include_sundays=False`` *explicitly*: for Sweden the library can list every Sunday as a holiday (that
  was its default in older releases). Here the weekly hours alone decide whether weekends are worked;
  only real holidays close a day, also when one falls on a weekend (Påskdagen, Nationaldagen on a
  Saturday) for a unit that has weekend hours.
* Midsommarafton, julafton and nyårsafton are not public holidays but are treated as such by law
  (semesterlagen 1977:480, 7 §) and in practice. They are computed here (the library's DE_FACTO
  category is recent) and are a parameter: ``HolidayPolicy(de_facto=...)``.
* Klämdagar are ordinary working days. A unit that closes on one adds it to ``extra_dates``.
* One-off extra hours a caseworker adds (availability.ExtraHours) are honoured on closed days too:
  an explicit entry beats the general rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import holidays


class DeFactoHoliday(StrEnum):
    MIDSOMMARAFTON = "midsommarafton"  # the Friday between 19 and 25 June
    JULAFTON = "julafton"  # 24 December
    NYARSAFTON = "nyarsafton"  # 31 December


def _midsommarafton(year: int) -> dt.date:
    june_19 = dt.date(year, 6, 19)
    return june_19 + dt.timedelta(days=(4 - june_19.weekday()) % 7)


_DE_FACTO_DATES: dict[DeFactoHoliday, Callable[[int], dt.date]] = {
    DeFactoHoliday.MIDSOMMARAFTON: _midsommarafton,
    DeFactoHoliday.JULAFTON: lambda year: dt.date(year, 12, 24),
    DeFactoHoliday.NYARSAFTON: lambda year: dt.date(year, 12, 31),
}

_DE_FACTO_NAMES = {
    DeFactoHoliday.MIDSOMMARAFTON: "Midsommarafton",
    DeFactoHoliday.JULAFTON: "Julafton",
    DeFactoHoliday.NYARSAFTON: "Nyårsafton",
}

DEFAULT_DE_FACTO: frozenset[DeFactoHoliday] = frozenset(DeFactoHoliday)


@dataclass(frozen=True)
class HolidayPolicy:
    """Which days close the weekly hours. The default: public holidays + the three eves."""

    public_holidays: bool = True
    de_facto: frozenset[DeFactoHoliday] = DEFAULT_DE_FACTO
    extra_dates: frozenset[dt.date] = frozenset()  # a unit's own closed days (a klämdag, a staff day)


DEFAULT_HOLIDAY_POLICY = HolidayPolicy()


def closed_days(first: dt.date, last: dt.date, policy: HolidayPolicy = DEFAULT_HOLIDAY_POLICY) -> dict[dt.date, str]:
    """Closed days from first to last (inclusive) with their Swedish names."""
    if last < first:
        return {}
    years = range(first.year, last.year + 1)
    found: dict[dt.date, str] = {}
    if policy.public_holidays:
        official = holidays.country_holidays("SE", years=years, include_sundays=False, language="sv")
        for day, name in official.items():
            found[day] = name
    for which in policy.de_facto:
        for year in years:
            found.setdefault(_DE_FACTO_DATES[which](year), _DE_FACTO_NAMES[which])
    for day in policy.extra_dates:
        found.setdefault(day, "Stängt")
    return {day: name for day, name in sorted(found.items()) if first <= day <= last}
