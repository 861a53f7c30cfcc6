"""What the client sees on "Mina sidor": where the case is, in plain words, and what they need to do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from kit.i18n import N_
from services.applications.domain.attachments import OUTSTANDING, DocumentRequest
from services.applications.domain.completeness import MissingItem
from services.applications.domain.content import ApplicationKind
from services.applications.domain.labels import kronor
from services.applications.domain.lifecycle import CaseState, CaseStatus, Outcome
from services.applications.domain.months import month_name
from services.applications.domain.texts import Lang, tr


class ClientCase(BaseModel):
    """The parts of a case the status text depends on (the API fills it; nothing here is staff-only)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    state: CaseState
    kind: ApplicationKind
    period: str
    missing: Sequence[MissingItem] = ()  # completeness.missing_items, for drafts
    documents: Sequence[DocumentRequest] = ()
    info_due: dt.date | None = None
    granted: int | None = None  # kronor, once decided


class ClientStatusView(BaseModel):
    status: CaseStatus
    outcome: Outcome | None = None
    title: str
    text: str
    todo: list[str] = Field(default_factory=list)  # what the client needs to do, one sentence each
    due_date: dt.date | None = None


# key -> (title, text), English ids translated from the catalogs (domain/texts.py).
# Placeholders: {what} the application, {month}, {amount}, {due}.
_TEXTS: dict[str, tuple[str, str]] = {
    "draft": (N_("Application not sent"),
              N_("You have started {what} for {month}. It has not been sent yet.")),
    "draft_ready": (N_("Ready to send"),
                    N_("Everything is filled in and signed. Send {what} for {month}.")),
    "submitted": (N_("Application sent"),
                  N_("We have received {what} for {month}. A caseworker will go through it.")),
    "in_review": (N_("Being processed"),
                  N_("A caseworker is going through {what} for {month}. You will get a message when there is a "
                     "decision.")),
    "info_requested": (N_("We need more information"),
                       N_("To make a decision we need more from you. Send it by {due}. If we do not get it, we will "
                          "decide on the information we have.")),
    "approved": (N_("Decision: you get financial assistance"),
                 N_("You get {amount} for {month}. You can read the full decision and the calculation here.")),
    "partly_approved": (N_("Decision: you get part of what you applied for"),
                        N_("You get {amount} for {month}. Read in the decision what you did not get and why. If you "
                           "do not agree, you can appeal within three weeks from receiving the decision.")),
    "refused": (N_("Decision: no assistance this time"),
                N_("Your application for {month} was refused. Read in the decision why. If you do not agree, you "
                   "can appeal within three weeks from receiving the decision.")),
    "paid": (N_("Paid"),
             N_("{amount} for {month} has been paid out.")),
    "withdrawn": (N_("Application withdrawn"),
                  N_("You withdrew {what} for {month}. You can apply again whenever you want.")),
}

_WHAT = {
    ApplicationKind.FIRST: N_("your application"),
    ApplicationKind.MONTHLY: N_("your monthly application"),
}


def _key(case: ClientCase) -> str:
    status = case.state.status
    if status is CaseStatus.DRAFT:
        return "draft" if case.missing else "draft_ready"
    if status is CaseStatus.DECIDED:
        return (case.state.outcome or Outcome.REFUSED).value
    return status.value


def _document_todo(doc: DocumentRequest, lang: Lang) -> str:
    t = tr(lang)
    text = t(N_("Send {document}."), document=doc.label(lang))
    if doc.rejection_reason:
        return t(N_("{request} What you sent could not be accepted: {reason}"), request=text,
                 reason=doc.rejection_reason)
    return text


def client_status_view(case: ClientCase, lang: Lang = "sv") -> ClientStatusView:
    t = tr(lang)
    title, template = _TEXTS[_key(case)]
    due = case.info_due.isoformat() if case.info_due else t(N_("as soon as possible"))
    text = t(template, what=t(_WHAT[case.kind]), month=month_name(case.period, lang),
             amount=kronor(case.granted or 0, lang), due=due)
    todo: list[str] = []
    status = case.state.status
    if status is CaseStatus.DRAFT:
        todo = [item.text(lang) for item in case.missing]
    if status in (CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED):
        todo = [_document_todo(d, lang) for d in case.documents if d.status in OUTSTANDING]
    return ClientStatusView(
        status=status,
        outcome=case.state.outcome,
        title=t(title),
        text=text,
        todo=todo,
        due_date=case.info_due if status is CaseStatus.INFO_REQUESTED else None,
    )
