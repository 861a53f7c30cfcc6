"""Gallring of what the meetings service keeps: which record, how long, what then, and what blocks it.

A booking is a time-book entry, not part of the person's file (what was said at a meeting is journalled in the
case): a dokumenthanteringsplan culls such entries when they are no longer needed ("gallras vid inaktualitet"); two
years after the meeting keeps the previous full year's figures and any complaint about a meeting answerable. After
that the booking is anonymised: the client's personnummer, the place (a home visit is an address), the interpreter
language, the accessibility needs and notes, the reason for a change, who booked it, the video room and the booking
reference go; the unit, the leading caseworker, the meeting type, the channel, the times, the status and the
outcome stay (the statistics page counts held meetings and no-shows by type, channel and caseworker).

What blocks it whatever the period: a meeting that has not ended yet (a future booking is never touched).
Sources: the README's "Gallring" section.
"""

from __future__ import annotations

import datetime as dt

from kit.retention import Action, rule

BOOKINGS = "bookings"
PROTECTED_CLIENTS = "protected_clients"

RULES = (
    rule(BOOKINGS, "P2Y", Action.ANONYMISE, Action.DELETE,
         basis="tidbokning: gallras vid inaktualitet; statistics kept anonymised"),
    # The protected identity a client's own token once claimed: kept while any booking still names the person.
    rule(PROTECTED_CLIENTS, "P2Y", Action.DELETE, basis="follows the person's bookings"),
)


def may_cull(*, end_at: dt.datetime, cutoff: dt.datetime, now: dt.datetime) -> bool:
    """The rule for one booking, as store/retention.py applies it to many."""
    return end_at <= now and end_at < cutoff
