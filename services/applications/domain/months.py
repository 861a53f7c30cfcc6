"""Month names for periods ("2026-12" -> "december 2026" / "December 2026"), from the service's catalogs rather
than the OS locale; and the window of months an application may be made for."""

from __future__ import annotations

import datetime as dt

from kit.i18n import N_
from services.applications.domain.texts import Lang, tr
from values.errors import DomainError

_MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
           N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))


def month_name(period: str, lang: Lang = "sv") -> str:
    year, month = period.split("-")
    t = tr(lang)
    # Translators: a month and its year, e.g. "December 2026".
    return t(N_("{month} {year}"), month=t(_MONTHS[int(month) - 1]), year=year)


# --- which months may be applied for ------------------------------------------------------------------------

EARLIEST_PERIOD = "2020-01"  # older months are not applied for here (and year 0 would break the date arithmetic)
MONTHS_AHEAD = 2  # the default: next month and the one after, not a far future (a setting of the service)


def latest_period(today: dt.date, months_ahead: int = MONTHS_AHEAD) -> str:
    index = today.year * 12 + today.month - 1 + months_ahead
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class PeriodOutOfRange(DomainError):
    code = "period-out-of-range"
    status = 422
    title = N_("No application can be made for that month")


def check_period(period: str, today: dt.date, field: str = "body.period", months_ahead: int = MONTHS_AHEAD) -> str:
    """The period when it is within [EARLIEST_PERIOD, today's month + months_ahead]; else PeriodOutOfRange (422)
    naming the field. ``today`` is the service clock's date in Swedish time."""
    last = latest_period(today, months_ahead)
    if not EARLIEST_PERIOD <= period <= last:  # well-formed YYYY-MM strings order like the months
        message = f"the month must be between {EARLIEST_PERIOD} and {last}"
        raise PeriodOutOfRange(f"The {field.rsplit('.', 1)[-1]} must be between {EARLIEST_PERIOD} and {last}.",
                               errors=[{"field": field, "message": message, "code": "period_out_of_range"}])
    return period
