"""Gallring of what the applications service keeps: which record, how long, what then, and what blocks it.

The personakt rule (socialtjänstlagen (2001:453) 12 kap. 1 §, as a municipality's dokumenthanteringsplan applies it
to ekonomiskt bistånd): what is in a person's file is culled five years after the LAST entry in it, and nothing about
the person is culled while anything newer about them remains. So a case is due only when every case of its household
and of its applicants has been quiet for the period. The files of people born on the 5th, 15th or 25th of a month
are kept for research (socialtjänstförordningen (2001:937) 7 kap. 2 §) and are never culled here; handing them to
the archive is the archivist's step. Sources: the README's "Gallring" section.

What blocks a due case whatever the period (these matter when ops shorten it):
    open               submitted, in review or waiting for information: someone is still working on it. A decided
                       case is done with (its payment is the payment system's step, not a reason to keep the file),
                       and a draft untouched for the whole period is abandoned: never received, so not even part of
                       the file
    appeal period      three weeks from when the client received the decision; counted from the decision plus a
                       margin for delivery by post
    appeal pending     a lodged appeal (cases.appeal_pending) holds the case until it is cleared

"Anonymise keeping statistics": the personnummer, names, free text, signatures, attachments, document requests, staff
ids and the stored calculation and decision texts go; the unit, month, kind, channel (source), status, outcome,
granted amount, and the dates stay, so digital vs paper, lead times and decisions per month can still be counted.
"""

from __future__ import annotations

import datetime as dt

from kit.retention import Action, rule
from services.applications.domain.lifecycle import PENDING, CaseStatus

CASES = "cases"
CLIENT_PROFILES = "client_profiles"
STAFF = "staff"
REPRESENTATIONS = "representations"

_PERSONAKT = ("SoL (2001:453) 12 kap. 1 §: gallras fem år efter sista anteckningen; födda 5, 15, 25 bevaras "
              "(SoF 7 kap. 2 §)")

RULES = (
    rule(CASES, "P5Y", Action.ANONYMISE, Action.DELETE, basis=_PERSONAKT),
    # Contact details and language needs: part of what is known about the person, culled with the file.
    rule(CLIENT_PROFILES, "P5Y", Action.DELETE, basis=_PERSONAKT),
    # Ombud: who could act for the client is part of the file; culled five years after it ended (or was revoked),
    # and kept while any case still names the client.
    rule(REPRESENTATIONS, "P5Y", Action.DELETE, basis=_PERSONAKT),
    # Staff the service has seen (for assignment): kept while they may still be assigned; not client data.
    rule(STAFF, "P2Y", Action.DELETE, basis="gallras vid inaktualitet (assignment only needs recent staff)"),
)

# Birth-date samples for research: the day of the month in the personnummer (a coordination number adds 60).
SAMPLE_DAYS = (5, 15, 25)

# Open: someone is still working on the case (the lifecycle's PENDING, less the client's own unsent draft).
OPEN_STATUSES = tuple(sorted(status.value for status in PENDING - {CaseStatus.DRAFT}))

APPEAL_PERIOD = dt.timedelta(weeks=3)  # förvaltningslagen (2017:900) 44 §: three weeks from receiving it
DELIVERY_MARGIN = dt.timedelta(weeks=2)  # the decision reaches the client after it is made (post, holidays)


def is_birth_date_sample(personal_number: str | None) -> bool:
    """Whether the person (12 digits, YYYYMMDDNNNC) is in the research sample kept from gallring."""
    if personal_number is None or len(personal_number) != 12 or not personal_number.isdigit():
        return False
    return int(personal_number[6:8]) % 60 in SAMPLE_DAYS


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def appeal_period_ends(decided_at: dt.datetime) -> dt.datetime:
    """When the decision can no longer be appealed in time (with the delivery margin)."""
    return decided_at + APPEAL_PERIOD + DELIVERY_MARGIN


def may_cull(*, status: str, decided_at: dt.datetime | None, appeal_pending: bool, last_entry: dt.datetime,
             applicants: tuple[str | None, ...], cutoff: dt.datetime, now: dt.datetime) -> bool:
    """The rule for one case, as the store's SQL applies it to many (the tests hold the two together)."""
    if is_open(status) or appeal_pending:
        return False
    if decided_at is not None and appeal_period_ends(decided_at) > now:
        return False
    if any(is_birth_date_sample(p) for p in applicants):
        return False
    return last_entry < cutoff
