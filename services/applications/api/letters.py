"""POST /internal/letters: a case's letter (the request for more information, the decision) as a PDF in the
client's language, for messaging's post room only (APPLICATIONS_LETTER_CLIENTS); persons and other services get
403. The same 404 for an unknown case and for a recipient who is not a party of it (contracts/letters.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.letters import PATH, LetterDocument, LetterRequest
from kit.auth import Principal, require_service_client
from kit.db import session as db_session
from services.applications.api import deps
from services.applications.service import letters
from services.applications.service.runtime import Runtime

router = APIRouter(tags=["internal"])

asker = require_service_client(setting="letter_clients")


@router.post(PATH, response_model=LetterDocument,
             summary="Services only: a case's letter (info requested, decision) as a PDF for the post (audited)")
async def letter(body: LetterRequest, rt: Runtime = Depends(deps.runtime), session: AsyncSession = Depends(db_session),
                 principal: Principal = Depends(asker)) -> LetterDocument:
    return await letters.letter(session, rt, principal, body)
