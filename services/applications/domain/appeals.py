"""Appeals (överklagande) of a decision on försörjningsstöd to the administrative court (förvaltningsrätten).

Förvaltningslagen (2017:900): the appeal is written (43 §), sent to the authority that decided, and must have reached
it within three weeks from the day the client received the decision (44 §). The authority checks that it came in
time (rättidsprövning, 45 §): a late appeal is dismissed (avvisas) — unless the lateness is the authority's own fault
(wrong appeal information), which is why dismissing is the caseworker's decision, not an automatic one. It may change
the decision itself (omprövning, 39 §); changed as the client asked, the appeal lapses (46 §); otherwise it forwards
the appeal and the case documents to the court, whose ruling settles it.

    received --forward--> forwarded --court_ruling--> ruled
       |  \\--reconsider (full)--> reconsidered          (the appeal lapses: 46 §)
       |   \\-reconsider (partial)--> reconsidered_partly --forward--> forwarded
       \\--dismiss (late only)--> dismissed

A case is one month's application with one decision in force (the decisions table is keyed by the case), so the
case identifies the decision appealed; the appeal keeps that decision's time.

When the decision reached the client: this codebase does not record delivery, so the day of the decision plus the
delivery margin gallring already allows (domain/retention.py: DELIVERY_MARGIN) is taken as the day of delivery —
in the client's favour. When the last day of the three weeks is a Saturday, Sunday, public holiday, midsommarafton,
julafton or nyårsafton, the appeal is in time on the next working day (lag (1930:173) om beräkning av lagstadgad
tid, 2 §).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays

from services.applications.domain.retention import APPEAL_PERIOD, DELIVERY_MARGIN
from values.errors import DomainError

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MIN_TEXT = 10  # a few words: what should change and why
MAX_TEXT = 10_000  # about four pages; a longer appeal is sent as a file or on paper
MAX_NOTE = 2000
MAX_OPEN_PER_CASE = 10  # a bound on open appeals of one decision (a retry is the Idempotency-Key's)


class AppealStatus(StrEnum):
    RECEIVED = "received"  # registered; rättidsprövning and omprövning are the caseworker's next step
    RECONSIDERED_PARTLY = "reconsidered_partly"  # changed, but not all the way: still goes to the court
    FORWARDED = "forwarded"  # sent with the case documents to förvaltningsrätten
    RECONSIDERED = "reconsidered"  # changed as the client asked: the appeal lapses (46 §)
    DISMISSED = "dismissed"  # avvisat as late (45 §)
    RULED = "ruled"  # the court has ruled


OPEN = frozenset({AppealStatus.RECEIVED, AppealStatus.RECONSIDERED_PARTLY, AppealStatus.FORWARDED})
CLOSED = frozenset(AppealStatus) - OPEN


class AppealSource(StrEnum):
    DIGITAL = "digital"  # the client, signed in with e-ID
    PAPER = "paper"  # a letter or a form handed in
    VISIT = "visit"  # written at the office
    PHONE = "phone"  # told on the phone, written down and confirmed in writing


STAFF_SOURCES = (AppealSource.PAPER, AppealSource.VISIT, AppealSource.PHONE)


class CourtOutcome(StrEnum):
    UPHELD = "upheld"  # avslag: the decision stands
    CHANGED = "changed"  # bifall, helt eller delvis: the court changed the decision
    RETURNED = "returned"  # återförvisat: back to the social services to decide again


class Extent(StrEnum):
    FULL = "full"  # as the client asked
    PARTIAL = "partial"


class Action(StrEnum):
    FORWARD = "forward"
    RECONSIDER = "reconsider"
    DISMISS = "dismiss"
    COURT_RULING = "court_ruling"


_STEPS: dict[tuple[AppealStatus, Action], tuple[AppealStatus, ...]] = {
    (AppealStatus.RECEIVED, Action.FORWARD): (AppealStatus.FORWARDED,),
    (AppealStatus.RECONSIDERED_PARTLY, Action.FORWARD): (AppealStatus.FORWARDED,),
    (AppealStatus.RECEIVED, Action.RECONSIDER): (AppealStatus.RECONSIDERED, AppealStatus.RECONSIDERED_PARTLY),
    (AppealStatus.RECEIVED, Action.DISMISS): (AppealStatus.DISMISSED,),
    (AppealStatus.FORWARDED, Action.COURT_RULING): (AppealStatus.RULED,),
}


class AppealStepNotAllowed(DomainError):
    code = "appeal-step-not-allowed"
    status = 409
    title = "That step is not possible in the appeal's current state"


class AppealInTime(DomainError):
    code = "appeal-in-time"
    status = 409
    title = "An appeal that came in time is not dismissed as late"


class TooManyAppeals(DomainError):
    code = "appeal-limit-reached"
    status = 409
    title = "This decision already has many open appeals"


class AppealDateInvalid(DomainError):
    code = "appeal-date-invalid"
    status = 422
    title = "The date is not possible"


def next_status(current: AppealStatus, action: Action, extent: Extent | None = None) -> AppealStatus:
    """The appeal's status after ``action``, or 409 with a stable code."""
    targets = _STEPS.get((current, action))
    if targets is None:
        raise AppealStepNotAllowed(f"'{action}' is not possible when the appeal is '{current}'.",
                                   state=current.value, action=action.value)
    if action is Action.RECONSIDER:
        return AppealStatus.RECONSIDERED if extent is Extent.FULL else AppealStatus.RECONSIDERED_PARTLY
    return targets[0]


def allowed_actions(current: AppealStatus, in_time: bool) -> list[Action]:
    """What the caseworker may do now (the queue's and the appeal's ``actions``)."""
    return [a for (s, a) in _STEPS if s is current and not (a is Action.DISMISS and in_time)]


# --- timeliness (rättidsprövning) ------------------------------------------------------------------------------

@functools.cache
def _days_off(year: int) -> frozenset[dt.date]:
    """Public holidays and the eves the time-limit act counts as holidays (Sundays are weekends anyway)."""
    official = holidays.country_holidays("SE", years=year, include_sundays=False)
    eves = {dt.date(year, 12, 24), dt.date(year, 12, 31)}
    eves |= {d - dt.timedelta(days=1) for d, name in official.items() if "midsommardag" in str(name).lower()
             or "midsummer day" in str(name).lower()}
    return frozenset(official) | frozenset(eves)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _days_off(day.year)


def delivered_on(decided_at: dt.datetime) -> dt.date:
    """The day the decision is taken to have reached the client (no delivery is recorded: decision + margin)."""
    return (decided_at + DELIVERY_MARGIN).astimezone(STOCKHOLM).date()


def last_day(decided_at: dt.datetime) -> dt.date:
    """The last day an appeal of the decision is in time (44 § FL; moved to a working day, lag (1930:173) 2 §)."""
    day = delivered_on(decided_at) + dt.timedelta(days=APPEAL_PERIOD.days)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def is_in_time(received_on: dt.date, decided_at: dt.datetime) -> bool:
    return received_on <= last_day(decided_at)


@dataclass(frozen=True)
class Timeliness:
    received_on: dt.date
    last_day: dt.date
    in_time: bool


def timeliness(received_on: dt.date, decided_at: dt.datetime) -> Timeliness:
    end = last_day(decided_at)
    return Timeliness(received_on, end, received_on <= end)


def check_received_on(received_on: dt.date, decided_at: dt.datetime, today: dt.date,
                      field: str = "body.received_on") -> dt.date:
    """A date staff give for a paper appeal: not in the future, not before the decision it appeals."""
    if received_on > today or received_on < decided_at.astimezone(STOCKHOLM).date():
        raise AppealDateInvalid("The appeal cannot have come in before the decision or after today.",
                                errors=[{"field": field, "message": "between the decision's day and today",
                                         "code": "appeal_date_invalid"}])
    return received_on


def check_step_date(on: dt.date, received_on: dt.date, today: dt.date, field: str) -> dt.date:
    """A forwarding, reconsideration, dismissal or ruling date: not before the appeal came in, not in the future."""
    if on > today or on < received_on:
        raise AppealDateInvalid("The date must lie between the day the appeal came in and today.",
                                errors=[{"field": field, "message": "between the appeal's day and today",
                                         "code": "appeal_date_invalid"}])
    return on
