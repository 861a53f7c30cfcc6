"""Register extracts (registerutdrag, GDPR art. 15): a client's copy of everything every service holds about them.

A client asks on Mina sidor; a caseworker of the client's unit asks for a client who asked on paper (cleared for
protected identity when the client has it). Each service answers for its own data: this one in-process
(service/subject_access.py), the others over HTTP with this service's token (APPLICATIONS_REGISTERUTDRAG_SERVICES).
A service that does not answer is a part marked missing with the reason, and the request records who answered.
The request and the gathering are audited when the extract is made, each delivery (JSON or PDF) when it is
fetched. The gathered extract is kept APPLICATIONS_REGISTERUTDRAG_KEEP_DAYS (30) days, then purged by the
worker; the request row stays (who asked, when, who answered), and a fetch after that is 410.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.subject_access import SubjectAccessAnswer, SubjectAccessRequest
from kit import audit
from kit.auth import Principal
from kit.i18n import N_
from kit.idempotency import Idempotency
from kit.problems import Problem, not_found
from services.applications.domain.access import PROTECTED_PERMISSION
from services.applications.domain.extract_pdf import render_extract_pdf
from services.applications.domain.subject_access import MISSING_TEXTS, Missing, extract_status, service_title
from services.applications.integration.subject_access import PartMissing, ask
from services.applications.service import protection, subject_access
from services.applications.service.runtime import Runtime
from services.applications.store import cases
from services.applications.store import registerutdrag as store
from services.applications.store.registerutdrag import ExtractRecord
from values.personal_number import normalise_personal_number

log = logging.getLogger("applications.registerutdrag")
RESOURCE = "registerutdrag"


def _links(record: ExtractRecord) -> dict[str, str]:
    base = f"/{'me' if record.requested_via == 'client' else 'staff'}/registerutdrag/{record.id}"
    return {"json": base, "pdf": f"{base}.pdf"}


def summary(record: ExtractRecord) -> dict[str, Any]:
    """What the request says without the data: when, how, which services answered, where to fetch it."""
    return {"id": str(record.id), "status": record.status, "requested_via": record.requested_via,
            "requested_at": record.requested_at.isoformat(), "expires_at": record.expires_at.isoformat(),
            "purged": record.purged_at is not None, "services": record.services, **_links(record)}


def _answered(answer: SubjectAccessAnswer) -> dict[str, Any]:
    return {"service": answer.service, "title": service_title(answer.service).model_dump(), "status": "answered",
            "reason": None, "reason_text": None, "generated_at": answer.generated_at.isoformat(),
            "sections": [s.model_dump(mode="json") for s in answer.sections]}


def _missing(service: str, reason: Missing) -> dict[str, Any]:
    return {"service": service, "title": service_title(service).model_dump(), "status": "missing",
            "reason": reason.value, "reason_text": MISSING_TEXTS[reason].model_dump(), "generated_at": None,
            "sections": []}


async def _gather(session: AsyncSession, rt: Runtime, request: SubjectAccessRequest) -> list[dict[str, Any]]:
    """Every service's part: this one's in-process, the others' at the same time over HTTP."""
    names = list(rt.subject_access)
    own = await subject_access.own_part(session, rt, request.personal_number.value)
    answers = await asyncio.gather(*(ask(rt.subject_access[n], n, request) for n in names), return_exceptions=True)
    parts = [_answered(own)]
    for name, answer in zip(names, answers, strict=True):
        if isinstance(answer, SubjectAccessAnswer):
            parts.append(_answered(answer))
        elif isinstance(answer, PartMissing):
            parts.append(_missing(name, answer.reason))
        else:  # a bug on our side must not look like "nothing held" either
            log.error("registerutdrag: asking failed", extra={"service": name, "error": type(answer).__name__})
            parts.append(_missing(name, Missing.REFUSED))
    return parts


async def _make(session: AsyncSession, rt: Runtime, principal: Principal, idem: Idempotency, *, subject: str,
                via: str, unit: str | None, protected: bool) -> tuple[int, dict[str, Any]]:
    extract_id, now = uuid.uuid4(), rt.now()
    window = rt.settings.registerutdrag_reuse_seconds
    if window:
        recent = await store.recent(session, subject, principal.sub, via, now - dt.timedelta(seconds=window))
        if recent is not None and (via == "client" or recent.unit in principal.units):
            audit.record(session, principal, "request", RESOURCE, str(recent.id), subject=subject,
                         purpose="registerutdrag", details={"via": via, "unit": unit, "reused": True})
            body = summary(recent)
            await idem.complete(session, 200, body)
            await session.commit()
            return 200, body
    request = SubjectAccessRequest(personal_number=subject, request_id=extract_id,
                                   requested_by="client" if via == "client" else principal.sub)
    parts = await _gather(session, rt, request)
    services = [{"service": p["service"], "status": p["status"], "reason": p["reason"]} for p in parts]
    record = ExtractRecord(
        id=extract_id, personal_number=subject, requested_by=principal.sub, requested_via=via, unit=unit,
        protected_identity=protected, status=extract_status(parts), services=services, extract={"parts": parts},
        requested_at=now, expires_at=now + dt.timedelta(days=rt.settings.registerutdrag_keep_days), purged_at=None)
    await store.insert(session, record)
    audit.record(session, principal, "request", RESOURCE, str(extract_id), subject=subject, purpose="registerutdrag",
                 details={"via": via, "unit": unit})
    audit.record(session, principal, "gather", RESOURCE, str(extract_id), subject=subject, purpose="registerutdrag",
                 details={"answered": [s["service"] for s in services if s["status"] == "answered"],
                          "missing": {s["service"]: s["reason"] for s in services if s["status"] == "missing"}})
    body = summary(record)
    await idem.complete(session, 201, body)
    await session.commit()
    return 201, body


async def _replayed(session: AsyncSession, idem: Idempotency, scope: str, payload: Any
                    ) -> tuple[int, dict[str, Any]] | None:
    stored = await idem.claim(session, scope, payload)
    return None if stored is None else (stored.status, stored.body)


async def request_for_client(session: AsyncSession, rt: Runtime, principal: Principal,
                             idem: Idempotency) -> tuple[int, dict[str, Any]]:
    """The client's own extract (Mina sidor). With an Idempotency-Key a retry gets the first request back."""
    replay = await _replayed(session, idem, f"registerutdrag:{principal.sub}", {})
    if replay is not None:
        return replay
    subject = normalise_personal_number(principal.personal_number or "")
    return await _make(session, rt, principal, idem, subject=subject, via="client", unit=None, protected=False)


async def request_for_staff(session: AsyncSession, rt: Runtime, principal: Principal, personal_number: str,
                            idem: Idempotency) -> tuple[int, dict[str, Any]]:
    """A caseworker asks for a client of their unit who asked on paper. One 404 for a person who is nobody's client
    here, another unit's client and, without clearance, a protected client: it says "not yours", never which."""
    replay = await _replayed(session, idem, f"registerutdrag:{principal.sub}", {"personal_number": personal_number})
    if replay is not None:
        return replay
    theirs = await cases.cases_of_person(session, personal_number)
    units = [c.unit for c in theirs if c.unit in principal.units]
    # The case's copy, or the population register (a 503 when it cannot tell: fail closed).
    protected = any(c.protected_identity for c in theirs) or await protection.any_protected(rt, [personal_number])
    if not units or (protected and not principal.can(PROTECTED_PERMISSION)):
        raise not_found("client")
    unit = principal.unit if principal.unit in units else units[0]
    return await _make(session, rt, principal, idem, subject=personal_number, via="staff", unit=unit,
                       protected=protected)


async def my_extracts(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    """The client's extracts, newest first, whoever asked for them (without their data)."""
    subject = normalise_personal_number(principal.personal_number or "")
    return [summary(r) for r in await store.of_person(session, subject)]


# --- loading AND authorising one extract (api/deps.py) ----------------------------------------------------------

@dataclass(frozen=True)
class ExtractAccess:
    """An extract the caller may fetch, and the caller."""

    record: ExtractRecord
    principal: Principal


async def own_extract(session: AsyncSession, principal: Principal, extract_id: uuid.UUID) -> ExtractAccess:
    """An extract about the calling client (made on Mina sidor or by staff for them); else 404, as if missing."""
    record = await store.get(session, extract_id)
    subject = normalise_personal_number(principal.personal_number or "")
    if record is None or record.personal_number != subject:
        raise not_found(RESOURCE)
    return ExtractAccess(record, principal)


async def unit_extract(session: AsyncSession, principal: Principal, extract_id: uuid.UUID) -> ExtractAccess:
    """An extract staff of the caller's unit asked for (cleared for protected identity when the client has it);
    else 404. A client's own extract from Mina sidor is theirs alone."""
    record = await store.get(session, extract_id)
    if record is None or record.requested_via != "staff" or record.unit not in principal.units:
        raise not_found(RESOURCE)
    if record.protected_identity and not principal.can(PROTECTED_PERMISSION):
        raise not_found(RESOURCE)
    return ExtractAccess(record, principal)


# --- delivery ---------------------------------------------------------------------------------------------------

def _check_kept(rt: Runtime, record: ExtractRecord) -> dict[str, Any]:
    if record.extract is None or record.purged_at is not None or rt.now() >= record.expires_at:
        raise Problem(410, "registerutdrag-expired", N_("The extract is no longer kept"),
                      f"An extract is kept {rt.settings.registerutdrag_keep_days} days. Ask for a new one.")
    return record.extract


async def _delivered(session: AsyncSession, rt: Runtime, access: ExtractAccess, fmt: str) -> dict[str, Any]:
    principal, record = access.principal, access.record
    extract = _check_kept(rt, record)
    audit.record(session, principal, "deliver", RESOURCE, str(record.id), subject=record.personal_number,
                 purpose="registerutdrag", details={"format": fmt, "via": record.requested_via})
    await session.commit()
    return {**summary(record), "subject": {"personal_number": record.personal_number},
            "generated_at": record.requested_at.isoformat(), "parts": extract["parts"]}


async def deliver_json(session: AsyncSession, rt: Runtime, access: ExtractAccess) -> dict[str, Any]:
    return await _delivered(session, rt, access, "json")


async def deliver_pdf(session: AsyncSession, rt: Runtime, access: ExtractAccess, lang: str) -> bytes:
    body = await _delivered(session, rt, access, "pdf")
    # In a thread: a long extract (years of messages) takes a while to lay out, and the loop serves others meanwhile.
    return await asyncio.to_thread(render_extract_pdf, body, lang=lang,  # type: ignore[arg-type]
                                   municipality=rt.settings.municipality, font_path=rt.pdf_font)


async def purge(rt: Runtime) -> int:
    """Drop the gathered extracts whose time is up (the worker's loop)."""
    async with rt.sessions() as session:
        purged = await store.purge_expired(session, rt.now())
        await session.commit()
    if purged:
        log.info("registerutdrag: extracts purged", extra={"purged": purged})
    return purged
