"""The post room's routes: the days with letters, and a day's batch for the print-and-post service."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit.auth import Principal
from kit.db import session as db_session
from services.messaging.api import deps
from services.messaging.api.schemas import LetterBatchDay, LetterBatchList
from services.messaging.service import letters
from services.messaging.service.runtime import Runtime

router = APIRouter(tags=["letters"])


@router.get("/letters/batches", response_model=LetterBatchList,
            summary="Print-and-post: the days with letters, with counts (newest first)")
async def list_batches(session: AsyncSession = Depends(db_session),
                       principal: Principal = Depends(deps.post_operator)) -> LetterBatchList:
    days = await letters.batch_days(session)
    return LetterBatchList(batches=[LetterBatchDay(day=d.day, letters=d.letters, pages=d.pages, collected=d.collected)
                                    for d in days])


@router.get("/letters/batches/{day}", response_class=Response,
            responses={200: {"content": {"application/zip": {}},
                             "description": "One PDF per letter (opaque names), manifest.csv and manifest.json"},
                       404: {"description": "No letters for this day"},
                       409: {"description": "The day is not over yet (letter-batch-open)"},
                       503: {"description": "The addresses could not be looked up (address-lookup-unavailable)"}},
            summary="Print-and-post: a finished day's letters as a zip, addressed from the population register "
                    "(audited)")
async def get_batch(day: dt.date, session: AsyncSession = Depends(db_session),
                    principal: Principal = Depends(deps.post_operator),
                    rt: Runtime = Depends(deps.current_runtime)) -> Response:
    body, _ = await letters.batch_zip(session, settings=rt.settings, keyring=rt.keyring, population=rt.population,
                                      principal=principal, day=day, now=rt.now())
    return Response(body, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="letters-{day.isoformat()}.zip"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
