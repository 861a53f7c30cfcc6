"""Ombud: staff register, list and revoke representations; the representative and the client see theirs; every
service resolves one (this one in its own database, the others by POST /internal/representations/resolve).

Staff who may register one for a client: the caseworkers and team leads of a unit where the client has a case
(cleared for protected identity when the client is protected), and the municipality's administrators (any client
who is not protected, e.g. before the first application). Any other client is one 404 ("No such client."),
whichever the reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.representation import RepresentationKind, Resolved, Scope
from kit import audit
from kit.auth import Principal
from kit.idempotency import Idempotency, StoredAnswer
from kit.problems import not_found
from kit.representation import unknown_representation
from services.applications.domain import representation as rules
from services.applications.domain.access import PROTECTED_PERMISSION, Role
from services.applications.service import protection
from services.applications.service.runtime import Runtime
from services.applications.store import cases
from services.applications.store import representations as store
from services.applications.store.representations import RepresentationRecord

RESOURCE = "representation"
PURPOSE = "representation"


@dataclass(frozen=True)
class NewRepresentation:
    client: str
    client_name: str | None
    representative: str
    representative_name: str
    kind: RepresentationKind
    scopes: list[Scope]
    valid_from: dt.date | None
    valid_until: dt.date
    document: str


async def _staff_unit(session: AsyncSession, rt: Runtime, principal: Principal, client: str,
                      missing: str = "client") -> str | None:
    """The unit the caller registers for (None: an administrator); else the one 404 for a client not theirs."""
    theirs = await cases.cases_of_person(session, client)
    if Role.ADMIN in principal.roles:
        units: list[str | None] = [None]
    else:
        units = [c.unit for c in theirs if c.unit in principal.units]
    if not units:
        raise not_found(missing)
    protected = any(c.protected_identity for c in theirs) or await protection.any_protected(rt, [client])
    if protected and not principal.can(PROTECTED_PERMISSION):
        raise not_found(missing)
    return principal.unit if principal.unit in units else units[0]


def _status(r: RepresentationRecord, today: dt.date) -> str:
    if r.revoked_at is not None:
        return "revoked"
    if r.valid_until < today:
        return "ended"
    return "upcoming" if r.valid_from > today else "active"


def staff_view(r: RepresentationRecord, today: dt.date) -> dict[str, Any]:
    return {"id": str(r.id), "client": r.client_pnr, "client_name": r.client_name,
            "representative": r.representative_pnr, "representative_name": r.representative_name,
            "kind": r.kind, "scopes": r.scopes, "valid_from": r.valid_from.isoformat(),
            "valid_until": r.valid_until.isoformat(), "document": r.document, "status": _status(r, today),
            "registered_by": r.registered_by, "registered_at": r.registered_at.isoformat(),
            "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None, "revoked_by": r.revoked_by}


async def register(session: AsyncSession, rt: Runtime, principal: Principal, new: NewRepresentation,
                   idem: Idempotency, request: dict[str, Any]) -> dict[str, Any] | StoredAnswer:
    """Register it (201), or the first answer to a retry with the same Idempotency-Key."""
    if (answer := await idem.claim(session, f"{principal.sub}:representations", request)) is not None:
        return answer
    today = rt.today()
    unit = await _staff_unit(session, rt, principal, new.client)
    valid_from = new.valid_from or today
    scopes = rules.check(new.client, new.representative, new.scopes, valid_from, new.valid_until, today)
    record = RepresentationRecord(
        id=uuid.uuid4(), client_pnr=new.client, client_name=new.client_name, representative_pnr=new.representative,
        representative_name=new.representative_name, kind=new.kind.value, scopes=[s.value for s in scopes],
        valid_from=valid_from, valid_until=new.valid_until, document=new.document, unit=unit,
        registered_by=principal.sub, registered_at=rt.now(), revoked_at=None, revoked_by=None)
    await store.insert(session, record)
    audit.record(session, principal, "create", RESOURCE, str(record.id), subject=f"{new.client},{new.representative}",
                 purpose=PURPOSE, details={"kind": record.kind, "scopes": record.scopes,
                                           "valid_until": record.valid_until.isoformat()})
    out = staff_view(record, today)
    await idem.complete(session, 201, out)
    await session.commit()
    return out


async def list_for_client(session: AsyncSession, rt: Runtime, principal: Principal, client: str) -> dict[str, Any]:
    await _staff_unit(session, rt, principal, client)
    found = await store.of_client(session, client)
    subjects = {client, *(r.representative_pnr for r in found)}
    audit.record(session, principal, "read", RESOURCE, None, subject=",".join(sorted(subjects)), purpose=PURPOSE)
    await session.commit()
    today = rt.today()
    return {"items": [staff_view(r, today) for r in found]}


async def revoke(session: AsyncSession, rt: Runtime, principal: Principal, representation_id: uuid.UUID
                 ) -> dict[str, Any]:
    record = await store.get(session, representation_id, lock=True)
    if record is None:
        raise not_found(RESOURCE)
    # Not this caller's client: the representation does not exist for them (the same 404 as a made-up id).
    await _staff_unit(session, rt, principal, record.client_pnr, missing=RESOURCE)
    now = rt.now()
    if record.revoked_at is None:
        await store.revoke(session, record.id, principal.sub, now)
        record.revoked_at, record.revoked_by = now, principal.sub
        audit.record(session, principal, "revoke", RESOURCE, str(record.id),
                     subject=f"{record.client_pnr},{record.representative_pnr}", purpose=PURPOSE)
    await session.commit()
    return staff_view(record, rt.today())


# --- the representative and the client ---------------------------------------------------------------------------

async def my_representations(session: AsyncSession, rt: Runtime, principal: Principal) -> dict[str, Any]:
    """The clients the caller may act for (now or from a later day): the representation, the client's name if
    known, the kind, scopes and days. Nothing else about the client."""
    items = []
    for r in await store.holding_by_representative(session, principal.personal_number or "", rt.today()):
        name = r.client_name or await store.latest_applicant_name(session, r.client_pnr)
        items.append({"id": str(r.id), "client_name": name, "kind": r.kind, "scopes": r.scopes,
                      "valid_from": r.valid_from.isoformat(), "valid_until": r.valid_until.isoformat()})
    return {"items": items}


async def my_representatives(session: AsyncSession, rt: Runtime, principal: Principal) -> dict[str, Any]:
    """Who may act for the calling client: their name as staff wrote it, the kind, scopes and days."""
    found = await store.holding_for_client(session, principal.personal_number or "", rt.today())
    return {"items": [{"id": str(r.id), "representative_name": r.representative_name, "kind": r.kind,
                       "scopes": r.scopes, "valid_from": r.valid_from.isoformat(),
                       "valid_until": r.valid_until.isoformat()} for r in found]}


def unknown() -> Exception:
    """Unknown, someone else's, not yet started, ended, revoked: one answer (kit.representation)."""
    return unknown_representation()


# --- resolving ------------------------------------------------------------------------------------------------------

def _resolved(r: RepresentationRecord) -> Resolved:
    return Resolved(representation_id=r.id, client=r.client_pnr, kind=RepresentationKind(r.kind),
                    scopes=[Scope(s) for s in r.scopes], valid_until=r.valid_until)


async def resolve(session: AsyncSession, rt: Runtime, representation_id: uuid.UUID, representative: str
                  ) -> Resolved | None:
    """The representation if it is this representative's and holds today (Swedish time); else None."""
    found = await store.holding(session, representation_id, representative, rt.today())
    return None if found is None else _resolved(found)


class LocalRepresentations:
    """kit.representation.Representations over this service's own table (a session of its own per request)."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    async def resolve(self, representation_id: uuid.UUID, representative: str) -> Resolved | None:
        async with self._rt.sessions() as session:
            return await resolve(session, self._rt, representation_id, representative)
