"""POST /internal/letters: a booking's letter (booked, changed, cancelled) as a PDF in the client's language, for
messaging's post room only (MEETINGS_LETTER_CLIENTS); persons and other services get 403. The same 404 for an
unknown booking and for a recipient who is not its client (contracts/letters.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.letters import PATH, LetterDocument, LetterRequest
from kit.auth import Principal, require_service_client
from kit.db import session as db_session
from services.meetings.api.deps import Rt
from services.meetings.service import letters

router = APIRouter(tags=["internal"])

asker = require_service_client(setting="letter_clients")


@router.post(PATH, response_model=LetterDocument,
             summary="Services only: a booking's letter (booked, changed, cancelled) as a PDF for the post (audited)")
async def letter(body: LetterRequest, rt: Rt, session: AsyncSession = Depends(db_session),
                 principal: Principal = Depends(asker)) -> LetterDocument:
    return await letters.letter(session, rt, principal, body)
