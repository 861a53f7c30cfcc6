"""POST /internal/letters for the case's letters: messaging's post room asks, this service writes the PDF.

Only a party of the case (the applicant, or the co-applicant once joined) gets a letter about it; anyone else and an
unknown case get the same 404. A letter that no longer applies (the information was sent, the decision undone)
is a 409: nothing to post. Every letter written is audited (who asked, the case, the kind), never what it says.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.letters import APPLICATION_KINDS, LetterDocument, LetterKind, LetterRequest
from kit import audit, letter_owner
from kit.auth import Principal
from kit.letter_pdf import LetterFontMissing
from kit.problems import not_found
from services.applications.domain.attachments import OUTSTANDING
from services.applications.domain.decision import Decision
from services.applications.domain.letters import (
    DecisionLetter,
    InfoRequestLetter,
    Sender,
    render_decision,
    render_info_request,
)
from services.applications.domain.lifecycle import CaseStatus, Event
from services.applications.domain.texts import CATALOGS
from services.applications.service.runtime import Runtime
from services.applications.store import cases, decisions, documents
from services.applications.store.cases import CaseRecord


def _recipient_name(case: CaseRecord, recipient: str) -> str | None:
    household = case.content.get("household") or {}
    role = "applicant" if recipient == case.applicant_pnr else "partner"
    person = household.get(role) or {}
    name = person.get("name")
    return name if isinstance(name, str) and name.strip() else None


async def letter(session: AsyncSession, rt: Runtime, principal: Principal, body: LetterRequest) -> LetterDocument:
    if body.kind not in APPLICATION_KINDS:
        raise letter_owner.kind_not_here(
            "Applications writes the info_requested and decision letters; meetings writes the others.")
    case = await cases.get_case(session, body.ref)
    recipient = body.recipient.value
    if case is None or case.status is CaseStatus.DRAFT or recipient not in case.recipients:
        raise not_found("letter")
    t = CATALOGS.get(body.language)
    settings = rt.settings
    sender = Sender(municipality=settings.municipality, postal_address=settings.letter_postal_address,
                    phone=settings.letter_phone)
    now = rt.now()
    name = _recipient_name(case, recipient)
    try:
        if body.kind is LetterKind.INFO_REQUESTED:
            outstanding = [d.request for d in await documents.document_requests(session, case.id)
                           if d.request.status in OUTSTANDING]
            if case.status is not CaseStatus.INFO_REQUESTED and not outstanding:
                raise letter_owner.not_applicable("The information asked for has been sent or the request has ended.")
            message = None
            if case.status is CaseStatus.INFO_REQUESTED:
                asked = [h for h in await cases.history(session, case.id) if h["event"] == Event.REQUEST_INFO.value]
                message = asked[-1]["reason"] if asked else None
            pdf, pages = render_info_request(t, sender, InfoRequestLetter(
                case_reference=str(case.id), period=case.period, recipient_name=name, message=message,
                documents=outstanding, due=case.info_due if case.status is CaseStatus.INFO_REQUESTED else None),
                now, rt.pdf_font)
        else:
            raw = await decisions.get_decision(session, case.id)
            if raw is None:
                raise letter_owner.not_applicable("The case has no decision (now).")
            decision = Decision.model_validate(raw)
            pdf, pages = render_decision(t, sender, DecisionLetter(
                case_reference=str(case.id), decision=decision, recipient_name=name,
                caseworker_name=None if case.protected_identity else decision.decided_by_name), now, rt.pdf_font)
    except LetterFontMissing:
        raise letter_owner.font_missing("APPLICATIONS_PDF_FONT_PATH") from None
    audit.record(session, principal, "write", "letter", str(case.id), subject=recipient, purpose="letter by post",
                 details={"case_id": str(case.id), "kind": body.kind.value, "event_id": str(body.event_id),
                          "language": t.lang})
    await session.commit()
    return letter_owner.document(body.kind, t, pdf, pages)
