"""Retention (gallring): how long each kind of record is kept and what happens when that time is over.

Domain-free. A service names its record types and their default rules in ``domain/retention.py`` (a period, an
action, the actions it may be switched to), ops override periods and actions by setting (``<SERVICE>_RETENTION``,
see ``configured``), and kit.retention_job runs one store function per rule in batches, logging counts only:
never content, never ids of people. What blocks a row (an open case, an appeal, a future meeting) is the store
function's WHERE clause, written from the service's domain rules. Pure: a service's domain may import it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum


class Action(StrEnum):
    DELETE = "delete"  # the rows are removed
    ANONYMISE = "anonymise"  # what names or describes a person is removed; what figures need is kept


_PERIOD = re.compile(r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
                     r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)?$")


@dataclass(frozen=True, slots=True)
class Period:
    """An ISO 8601 duration in calendar terms (P5Y, P6M, P30D, PT24H): five years back from 29 February is
    28 February, not 1826 days."""

    years: int = 0
    months: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text.strip().upper())
        if match is None or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
            raise ValueError(f"not an ISO 8601 period (such as P5Y, P6M, P30D, PT24H): {text!r}")
        parts = {k: int(v) for k, v in match.groupdict().items() if v}
        weeks = parts.pop("weeks", 0)
        return cls(**{**parts, "days": parts.get("days", 0) + 7 * weeks})

    def before(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` minus this period."""
        months = moment.year * 12 + moment.month - 1 - (self.years * 12 + self.months)
        year, month = divmod(months, 12)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        back = moment.replace(year=year, month=month + 1, day=day)
        return back - dt.timedelta(days=self.days, hours=self.hours, minutes=self.minutes)

    def __str__(self) -> str:
        date = "".join(f"{n}{u}" for n, u in ((self.years, "Y"), (self.months, "M"), (self.days, "D")) if n)
        time = "".join(f"{n}{u}" for n, u in ((self.hours, "H"), (self.minutes, "M")) if n)
        return "P" + date + (f"T{time}" if time else "") if (date or time) else "P0D"


@dataclass(frozen=True, slots=True)
class Rule:
    """One record type's retention: kept ``period`` after the moment the store function counts from, then
    ``action``. ``allowed`` is what ops may switch the action to (some records cannot be anonymised);
    ``basis`` says where the default comes from (shown in the README, never logged with data)."""

    record: str
    period: Period
    action: Action
    allowed: frozenset[Action]
    basis: str = ""

    def __post_init__(self) -> None:
        if self.action not in self.allowed:
            raise ValueError(f"{self.record}: {self.action} is not one of {sorted(self.allowed)}")

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        return self.period.before(now)


def rule(record: str, period: str, action: Action, *also: Action, basis: str = "") -> Rule:
    """A default rule: ``rule("cases", "P5Y", Action.ANONYMISE, Action.DELETE, basis="SoL 12 kap. 1 §")``."""
    return Rule(record, Period.parse(period), action, frozenset((action, *also)), basis)


def configured(defaults: Iterable[Rule], overrides: Mapping[str, str]) -> tuple[Rule, ...]:
    """The defaults with ops' overrides: ``{"cases": "P6Y"}`` or ``{"cases": "P6Y delete"}`` (period, then an
    optional action). An unknown record type, a bad period or an action the record does not allow raises
    ValueError, so a mistyped setting stops the start instead of silently keeping (or deleting) too much."""
    rules = {r.record: r for r in defaults}
    for record, value in overrides.items():
        key = record.strip().lower()
        if key not in rules:
            raise ValueError(f"retention: unknown record type {record!r} (known: {', '.join(sorted(rules))})")
        period, _, action = value.strip().partition(" ")
        changed = replace(rules[key], period=Period.parse(period))
        if action.strip():
            changed = replace(changed, action=Action(action.strip().lower()))  # __post_init__ checks allowed
        rules[key] = changed
    return tuple(rules.values())
