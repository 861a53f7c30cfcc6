"""Gallring of what the messaging service keeps: which record, how long, what then, and what blocks it.

Messages between a client and the social services are correspondence in the client's matter: what matters for the
decision is journalled in the case (the personakt, kept by the applications service), and the thread follows the
same clock as the file: five years after the last entry (socialtjänstlagen (2001:453) 12 kap. 1 §), counted from
the thread's last message AND the case's last event, so a thread is never culled while its case is still moving
(messaging's picture of a case is the applications service's events; a case that is not closed keeps sending them).
Threads are deleted, not anonymised: a message without its text tells no figure anything the inbox statistics need.

Short-lived rows go on the kit's housekeeping schedule instead (notifications once sent, skipped or failed).
Sources: the README's "Gallring" section.
"""

from __future__ import annotations

import datetime as dt

from kit.retention import Action, rule

THREADS = "threads"
CASES = "cases"
CONTACTS = "contacts"
ABSENCES = "absences"
LETTERS = "letters"

_PERSONAKT = "SoL (2001:453) 12 kap. 1 §: fem år efter sista anteckningen (the thread's and its case's)"

RULES = (
    rule(THREADS, "P5Y", Action.DELETE, basis=_PERSONAKT),
    # Our copy of a case (unit, recipients' personnummer): kept while a thread names it.
    rule(CASES, "P5Y", Action.DELETE, basis=_PERSONAKT),
    # Contact details for notifications: kept while the person is in a thread or a case's recipients.
    rule(CONTACTS, "P5Y", Action.DELETE, basis="gallras vid inaktualitet (no thread or case names the person)"),
    # A caseworker's absence and substitute: of no use once over.
    rule(ABSENCES, "P1Y", Action.DELETE, basis="gallras vid inaktualitet"),
    # A letter (the sealed PDF, the recipient) once its day's batch was collected for printing: the letter itself is
    # kept by its owner (the decision in the case, the booking); a failed one from when it was made.
    rule(LETTERS, "P30D", Action.DELETE, basis="gallras vid inaktualitet (utskrivet och postat)"),
)

# Notification rows that are done with (the relay never looks at them again); pending ones are never purged.
FINISHED_NOTIFICATIONS = ("sent", "skipped", "failed", "cancelled")


def thread_may_go(*, last_message: dt.datetime, case_last_event: dt.datetime | None, cutoff: dt.datetime) -> bool:
    """The rule for one thread, as store/retention.py applies it to many."""
    return last_message < cutoff and (case_last_event is None or case_last_event < cutoff)
