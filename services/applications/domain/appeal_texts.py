"""What the client reads about their appeal on Mina sidor, in their language (kit.i18n catalogs in
services/applications/locales; English message ids, sv/en/ar)."""

from __future__ import annotations

import datetime as dt

from kit.i18n import N_
from services.applications.domain.appeals import AppealStatus, CourtOutcome
from services.applications.domain.texts import CATALOGS

STATUS_TEXTS: dict[AppealStatus, str] = {
    AppealStatus.RECEIVED: N_("We have received your appeal. We check that it came in time and whether we can "
                              "change the decision ourselves; otherwise we send it to the administrative court."),
    AppealStatus.RECONSIDERED_PARTLY: N_("We have changed the decision in part. Your appeal goes on to the "
                                         "administrative court."),
    AppealStatus.FORWARDED: N_("Your appeal has been sent to the administrative court (förvaltningsrätten) with "
                               "the documents of your case. The court will contact you."),
    AppealStatus.RECONSIDERED: N_("We have changed the decision as you asked, so your appeal does not go on to "
                                  "the court."),
    AppealStatus.DISMISSED: N_("Your appeal came in too late and has been dismissed. You can appeal the "
                               "dismissal within three weeks of receiving it."),
    AppealStatus.RULED: N_("The administrative court has ruled on your appeal."),
}

COURT_TEXTS: dict[CourtOutcome, str] = {
    CourtOutcome.UPHELD: N_("The court did not change the decision."),
    CourtOutcome.CHANGED: N_("The court changed the decision."),
    CourtOutcome.RETURNED: N_("The court sent the case back to us to decide again."),
}

IN_TIME = N_("Your appeal came in time (the last day was {last_day}).")
LATE = N_("Your appeal came in after the last day ({last_day}). We decide whether it can still be considered.")


def status_text(status: AppealStatus, lang: str) -> str:
    return CATALOGS.get(lang)(STATUS_TEXTS[status])


def court_text(outcome: CourtOutcome, lang: str) -> str:
    return CATALOGS.get(lang)(COURT_TEXTS[outcome])


def timeliness_text(in_time: bool, last_day: dt.date, lang: str) -> str:
    return CATALOGS.get(lang)(IN_TIME if in_time else LATE, last_day=last_day.isoformat())
