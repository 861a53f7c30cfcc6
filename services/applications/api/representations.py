"""Ombud: staff register, list and revoke who may act for a client; the representative lists whom they may act
for; the client lists who may act for them; messaging and meetings resolve a representation.

Who: ``/staff/…`` the caseworkers and team leads of a unit where the client has a case (cleared for protected
identity when the client is protected) and administrators; another client is one 404. ``/me/representations``: the
representative with their own token (no X-Representation); ``/me/representatives``: the client with their own.
``/internal/representations/resolve``: messaging's and meetings' service tokens.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.representation import RESOLVE_PATH, Resolved, ResolveRequest
from kit.auth import Principal, require_service_client
from kit.db import session as db_session
from kit.idempotency import Idempotency, StoredAnswer
from kit.responses import JSONResponse
from services.applications.api import deps, schemas
from services.applications.api.answers import replay
from services.applications.service import representations
from services.applications.service.representations import NewRepresentation
from services.applications.service.runtime import Runtime

router = APIRouter(tags=["ombud"])

ClientNumber = Annotated[str, Query(description="The client's personnummer.", min_length=10, max_length=13)]


@router.post("/staff/representations", status_code=201, response_model=schemas.RepresentationOut,
             summary="Staff: register a representative (god man, förvaltare, fullmakt) for a client "
                     "(Idempotency-Key)")
async def register(body: schemas.RepresentationIn, session: AsyncSession = Depends(db_session),
                   principal: Principal = Depends(deps.representation_staff),
                   idem: Idempotency = Depends(deps.idempotency),
                   rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    new = NewRepresentation(
        client=body.personal_number.value, client_name=body.client_name, representative=body.representative.value,
        representative_name=body.representative_name, kind=body.kind, scopes=body.scopes,
        valid_from=body.valid_from, valid_until=body.valid_until, document=body.document)
    out = await representations.register(session, rt, principal, new, idem, body.model_dump(mode="json"))
    return replay(out) if isinstance(out, StoredAnswer) else JSONResponse(out, status_code=201)


@router.get("/staff/representations", response_model=schemas.RepresentationList,
            summary="Staff: the representations of a client (every one: upcoming, active, ended, revoked)")
async def list_for_client(personal_number: ClientNumber, session: AsyncSession = Depends(db_session),
                          principal: Principal = Depends(deps.representation_staff),
                          rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    client = deps.personal_number_or_404(personal_number)
    return JSONResponse(await representations.list_for_client(session, rt, principal, client))


@router.post("/staff/representations/{representation_id}/revoke", response_model=schemas.RepresentationOut,
             summary="Staff: revoke a representation (from now; it cannot be used again)")
async def revoke(representation_id: uuid.UUID, session: AsyncSession = Depends(db_session),
                 principal: Principal = Depends(deps.representation_staff),
                 rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    return JSONResponse(await representations.revoke(session, rt, principal, representation_id))


@router.get("/me/representations", response_model=schemas.MyRepresentations,
            summary="Representative: the clients I may act for (send the id as X-Representation)")
async def my_representations(session: AsyncSession = Depends(db_session),
                             principal: Principal = Depends(deps.client_principal),
                             rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    return JSONResponse(await representations.my_representations(session, rt, principal))


@router.get("/me/representatives", response_model=schemas.MyRepresentatives,
            summary="Client: who may act for me, within which scopes, until when")
async def my_representatives(session: AsyncSession = Depends(db_session),
                             principal: Principal = Depends(deps.client_principal),
                             rt: Runtime = Depends(deps.runtime)) -> JSONResponse:
    return JSONResponse(await representations.my_representatives(session, rt, principal))


@router.post(RESOLVE_PATH, response_model=Resolved, responses={404: {"description": "No such representation"}},
             summary="Service (messaging, meetings): the representation, if it is the caller's and holds today")
async def resolve(body: ResolveRequest, session: AsyncSession = Depends(db_session),
                  _: Principal = Depends(require_service_client("messaging", "meetings")),
                  rt: Runtime = Depends(deps.runtime)) -> Response:
    found = await representations.resolve(session, rt, body.representation_id, body.representative.value)
    if found is None:
        raise representations.unknown()
    return Response(found.model_dump_json(), media_type="application/json")
