"""Who a thread is with: the unit inbox, taking a thread, the case's caseworker, absence hand-over.

A thread nobody has is in the unit inbox, seen by every caseworker of the unit. One of them takes it.
When the case has a caseworker, the thread follows them. While someone is away, their threads go to the
substitute they named, or back to the unit inbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from services.messaging.domain.errors import MessagingError


class AlreadyTaken(MessagingError):
    code = "thread-already-taken"
    status = 409
    title = "Someone else has this thread"


class AbsenceInvalid(MessagingError):
    code = "absence-invalid"
    status = 422
    title = "The absence is not valid"


@dataclass(frozen=True)
class Absence:
    starts_at: dt.datetime
    ends_at: dt.datetime
    substitute: str | None = None

    def covers(self, now: dt.datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def check_absence(absence: Absence, sub: str) -> None:
    if absence.ends_at <= absence.starts_at:
        raise AbsenceInvalid("The absence must end after it starts.")
    if absence.substitute == sub:
        raise AbsenceInvalid("The substitute must be someone else.")


def effective_assignee(assigned_to: str | None, absences: Mapping[str, Absence], now: dt.datetime) -> str | None:
    """Who works the thread now: the assignee, their substitute while they are away, or None (the unit inbox).
    One hop only: a substitute who is away too does not pass it on (that is the unit inbox's job)."""
    if assigned_to is None:
        return None
    absence = absences.get(assigned_to)
    if absence is None or not absence.covers(now):
        return assigned_to
    return absence.substitute


def take(assigned_to: str | None, taker: str) -> str:
    if assigned_to not in (None, taker):
        raise AlreadyTaken("Another caseworker has taken this thread; ask them to hand it over.")
    return taker


def assignee_for_new_thread(*, case_caseworker: str | None, created_by_staff: str | None) -> str | None:
    """The case's caseworker if there is one, else the staff member who started it, else the unit inbox."""
    return case_caseworker or created_by_staff
