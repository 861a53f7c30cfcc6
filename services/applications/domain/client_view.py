"""What the client sees on "Mina sidor": where the case is, in plain words, and what they need to do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.applications.domain.attachments import OUTSTANDING, DocumentRequest
from services.applications.domain.completeness import MissingItem
from services.applications.domain.content import ApplicationKind
from services.applications.domain.labels import kronor
from services.applications.domain.lifecycle import CaseState, CaseStatus, Outcome
from services.applications.domain.months import month_name

Lang = Literal["sv", "en"]


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


# key -> (title sv, text sv, title en, text en); placeholders: {what} the application, {month}, {amount}, {due}.
_TEXTS: dict[str, tuple[str, str, str, str]] = {
    "draft": ("Ansökan är inte skickad",
              "Du har påbörjat {what} för {month}. Den är inte skickad än.",
              "Application not sent",
              "You have started {what} for {month}. It has not been sent yet."),
    "draft_ready": ("Ansökan är klar att skicka",
                    "Allt är ifyllt och signerat. Skicka in {what} för {month}.",
                    "Ready to send",
                    "Everything is filled in and signed. Send {what} for {month}."),
    "submitted": ("Ansökan är skickad",
                  "Vi har tagit emot {what} för {month}. En handläggare kommer att gå igenom den.",
                  "Application sent",
                  "We have received {what} for {month}. A caseworker will go through it."),
    "in_review": ("Ansökan handläggs",
                  "En handläggare går igenom {what} för {month}. Du får ett meddelande när det finns ett beslut.",
                  "Being processed",
                  "A caseworker is going through {what} for {month}. You will get a message when there is a "
                  "decision."),
    "info_requested": ("Vi behöver fler uppgifter",
                       "För att kunna fatta beslut behöver vi mer från dig. Skicka det senast {due}. Om vi inte får "
                       "det fattar vi beslut utifrån de uppgifter vi har.",
                       "We need more information",
                       "To make a decision we need more from you. Send it by {due}. If we do not get it, we will "
                       "decide on the information we have."),
    "approved": ("Beslut: du får ekonomiskt bistånd",
                 "Du får {amount} för {month}. Du kan läsa hela beslutet och beräkningen här.",
                 "Decision: you get financial assistance",
                 "You get {amount} for {month}. You can read the full decision and the calculation here."),
    "partly_approved": ("Beslut: du får en del av det du sökte",
                        "Du får {amount} för {month}. Läs i beslutet vad du inte fick och varför. Om du inte är nöjd "
                        "kan du överklaga inom tre veckor från att du fick beslutet.",
                        "Decision: you get part of what you applied for",
                        "You get {amount} for {month}. Read in the decision what you did not get and why. If you do "
                        "not agree, you can appeal within three weeks from receiving the decision."),
    "refused": ("Beslut: du får inget bistånd den här gången",
                "Din ansökan för {month} har fått avslag. Läs i beslutet varför. Om du inte är nöjd kan du "
                "överklaga inom tre veckor från att du fick beslutet.",
                "Decision: no assistance this time",
                "Your application for {month} was refused. Read in the decision why. If you do not agree, you can "
                "appeal within three weeks from receiving the decision."),
    "paid": ("Pengarna är utbetalda",
             "{amount} för {month} har betalats ut.",
             "Paid",
             "{amount} for {month} has been paid out."),
    "withdrawn": ("Ansökan är återkallad",
                  "Du har tagit tillbaka {what} för {month}. Du kan göra en ny ansökan när du vill.",
                  "Application withdrawn",
                  "You withdrew {what} for {month}. You can apply again whenever you want."),
}

_WHAT = {
    ApplicationKind.FIRST: ("din ansökan", "your application"),
    ApplicationKind.MONTHLY: ("din fortsatta ansökan", "your monthly application"),
}


def _key(case: ClientCase) -> str:
    status = case.state.status
    if status is CaseStatus.DRAFT:
        return "draft" if case.missing else "draft_ready"
    if status is CaseStatus.DECIDED:
        return (case.state.outcome or Outcome.REFUSED).value
    return status.value


def _document_todo(doc: DocumentRequest, lang: Lang) -> str:
    if lang == "sv":
        text = f"Skicka {doc.label('sv')}."
        return f"{text} Det du skickade kunde inte godtas: {doc.rejection_reason}" if doc.rejection_reason else text
    text = f"Send {doc.label('en')}."
    return f"{text} What you sent could not be accepted: {doc.rejection_reason}" if doc.rejection_reason else text


def client_status_view(case: ClientCase, lang: Lang = "sv") -> ClientStatusView:
    key = _key(case)
    title_sv, text_sv, title_en, text_en = _TEXTS[key]
    title, template = (title_sv, text_sv) if lang == "sv" else (title_en, text_en)
    what = _WHAT[case.kind][0 if lang == "sv" else 1]
    due = case.info_due.isoformat() if case.info_due else ("snarast" if lang == "sv" else "as soon as possible")
    text = template.format(
        what=what, month=month_name(case.period, lang), amount=kronor(case.granted or 0, lang), due=due
    )
    todo: list[str] = []
    status = case.state.status
    if status is CaseStatus.DRAFT:
        todo = [item.text(lang) for item in case.missing]
    if status in (CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED):
        todo = [_document_todo(d, lang) for d in case.documents if d.status in OUTSTANDING]
    return ClientStatusView(
        status=status,
        outcome=case.state.outcome,
        title=title,
        text=text,
        todo=todo,
        due_date=case.info_due if status is CaseStatus.INFO_REQUESTED else None,
    )
