"""Dependencies that load AND authorise in one place, so no route can forget the check (BOLA).

A case the caller may not see answers 404, exactly like a case that does not exist (the same for a
protected-identity case as for another unit's case). Each route takes ONE of these: it gives the loaded
case (``CaseContext``) or the principal, already checked for what the route needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.app import ServiceContext
from kit.auth import Principal, authenticate, person_or_service
from kit.db import session as db_session
from kit.i18n import direction, negotiate
from kit.idempotency import idempotency_key
from kit.problems import Problem, not_found
from services.applications.domain.access import Role, Section
from services.applications.domain.lifecycle import ActorRole
from services.applications.service import documents, figures, profiles, registerutdrag
from services.applications.service.context import CaseContext, load_case
from services.applications.service.runtime import Runtime
from services.applications.service.staff import is_staff, note_staff
from values.personal_number import normalise_personal_number

STAFF = (ActorRole.CASEWORKER, ActorRole.TEAM_LEAD)


def context(request: Request) -> ServiceContext:
    return request.app.state.kit  # type: ignore[no-any-return]


def runtime_of(request: Request) -> Runtime:
    """The service's runtime (clock, settings, relay, clients), set by app.py's start-up hook."""
    return context(request).runtime  # type: ignore[no-any-return]


async def runtime(request: Request) -> Runtime:
    """The runtime as a dependency; async, so FastAPI does not hop to its thread pool for it."""
    return runtime_of(request)


def access_reason(request: Request) -> str | None:
    """Why staff read this (X-Access-Reason), if they said."""
    return request.headers.get("x-access-reason")


# --- Idempotency-Key -------------------------------------------------------------------------------------------
# kit.idempotency.idempotency_key(description) would be the one to use, but its header annotation names a local
# variable under ``from __future__ import annotations``: FastAPI cannot resolve it and takes ``key`` for a query
# parameter (reported to the lead). These two are the same dependency with the header spelled out.

idempotency = idempotency_key()
# The upload's header has no description in the published document.
idempotency_undescribed = idempotency_key(None)


# --- persons ------------------------------------------------------------------------------------------------

async def client_principal(principal: Principal = Depends(authenticate)) -> Principal:
    if Role.CLIENT not in principal.roles or not principal.personal_number:
        raise Problem(403, "forbidden", "Forbidden", "Only clients (signed in with e-ID) may do this.")
    return principal


async def caseworker_principal(request: Request, principal: Principal = Depends(authenticate)) -> Principal:
    if Role.CASEWORKER not in principal.roles:
        raise Problem(403, "forbidden", "Forbidden", "Only caseworkers may do this.")
    await note_staff(runtime_of(request), principal)
    return principal


async def staff_principal(request: Request, principal: Principal = Depends(authenticate)) -> Principal:
    if not is_staff(principal):
        raise Problem(403, "forbidden", "Forbidden", "Only unit staff may do this.")
    await note_staff(runtime_of(request), principal)
    return principal


async def unit_team_lead(principal: Principal = Depends(staff_principal)) -> Principal:
    if Role.TEAM_LEAD not in principal.roles or not principal.unit:
        raise Problem(403, "forbidden", "Forbidden", "Only a unit's team lead draws trust checks.")
    return principal


async def unit_case_staff(principal: Principal = Depends(staff_principal)) -> Principal:
    """A team lead or caseworker of a unit (not an employment officer)."""
    if not principal.unit or not (principal.roles & {Role.TEAM_LEAD, Role.CASEWORKER}):
        raise Problem(403, "forbidden", "Forbidden", "Only a unit's staff see its trust checks.")
    return principal


async def admin_principal(principal: Principal = Depends(authenticate)) -> Principal:
    """The municipality's administrator (a person; no service token)."""
    if principal.is_service or Role.ADMIN not in principal.roles:
        raise Problem(403, "forbidden", "Forbidden", "Only the municipality's administrator may do this.")
    return principal


async def representation_staff(request: Request, principal: Principal = Depends(authenticate)) -> Principal:
    """Who registers, lists and revokes representations: caseworkers and team leads (of the client's unit: checked
    with the client) and administrators."""
    if not principal.roles & {Role.CASEWORKER, Role.TEAM_LEAD, Role.ADMIN}:
        raise Problem(403, "forbidden", "Forbidden", "Only caseworkers, team leads and administrators may do this.")
    if is_staff(principal):
        await note_staff(runtime_of(request), principal)
    return principal


def personal_number_or_404(raw: str) -> str:
    """A personnummer from the query; a malformed one is no client (the same 404 as anyone not the caller's)."""
    try:
        return normalise_personal_number(raw)
    except ValueError:
        raise not_found("client") from None


@dataclass(frozen=True)
class FiguresReader:
    principal: Principal
    unit: str


async def figures_reader(unit: Annotated[str, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")],
                         principal: Principal = Depends(authenticate)) -> FiguresReader:
    """The unit whose figures are asked for, and a caller who may read them: its team lead or an admin."""
    figures.authorise(principal, unit)
    return FiguresReader(principal, unit)



# --- cases ----------------------------------------------------------------------------------------------------

async def readable_case(case_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                        principal: Principal = Depends(authenticate)) -> CaseContext:
    return await load_case(session, runtime_of(request), principal, case_id, lock=False,
                           reason=access_reason(request))


async def locked_case(case_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                      principal: Principal = Depends(authenticate)) -> CaseContext:
    """The same check, with the case row locked until commit: two steps on one case never interleave."""
    return await load_case(session, runtime_of(request), principal, case_id, lock=True,
                           reason=access_reason(request))


async def locked_signed_case(case_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                             principal: Principal = Depends(authenticate)) -> CaseContext:
    """``locked_case`` with the case's signatures read in the same statement (the submit checks them)."""
    return await load_case(session, runtime_of(request), principal, case_id, lock=True,
                           reason=access_reason(request), signatures=True)


async def locked_case_for_system(case_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                                 principal: Principal = Depends(person_or_service(setting="system_clients"))
                                 ) -> CaseContext:
    """``locked_case`` for a step a system may take too (APPLICATIONS_SYSTEM_CLIENTS, e.g. payments marking a
    case paid): the only kind of case route a service token reaches; every other one is for persons."""
    return await load_case(session, runtime_of(request), principal, case_id, lock=True,
                           reason=access_reason(request))


CaseDependency = Callable[..., Awaitable[CaseContext]]


def case_part(section: Section, *roles: ActorRole, lock: bool = False) -> CaseDependency:
    """A case whose ``section`` the caller may read (else 404, as if missing) and, when ``roles`` are given, in
    which they act in one of them (else 403)."""
    async def dependency(ctx: CaseContext = Depends(locked_case if lock else readable_case)) -> CaseContext:
        ctx.require(section)
        if roles:
            ctx.require_role(*roles)
        return ctx

    return dependency


async def staff_case(ctx: CaseContext = Depends(locked_case)) -> CaseContext:
    """A case the caller handles as its caseworker or team lead (assign, calculate, decide)."""
    ctx.require_role(*STAFF)
    return ctx


async def own_case(ctx: CaseContext = Depends(readable_case)) -> CaseContext:
    """The client's own case (Mina sidor): a party's, else 404."""
    if not ctx.is_party:
        raise not_found("application")  # this is the client's own page
    return ctx


async def upload_case(ctx: CaseContext = Depends(case_part(Section.ATTACHMENTS, lock=True))) -> CaseContext:
    """A case the caller may add files to (an applicant or its caseworker, while it is open)."""
    documents.check_uploader(ctx)
    return ctx


async def party_case(ctx: CaseContext = Depends(locked_case)) -> CaseContext:
    """A case the caller is a party to (applicant or joined co-applicant), locked; staff who see it get 403."""
    ctx.require_role(ActorRole.CLIENT, ActorRole.CO_APPLICANT)
    return ctx


# --- register extracts --------------------------------------------------------------------------------------------

async def own_extract(extract_id: uuid.UUID, session: AsyncSession = Depends(db_session),
                      principal: Principal = Depends(client_principal)) -> registerutdrag.ExtractAccess:
    """A register extract about the calling client; else 404."""
    return await registerutdrag.own_extract(session, principal, extract_id)


async def unit_extract(extract_id: uuid.UUID, session: AsyncSession = Depends(db_session),
                       principal: Principal = Depends(caseworker_principal)) -> registerutdrag.ExtractAccess:
    """A register extract a caseworker of the caller's unit asked for (cleared when the client is protected)."""
    return await registerutdrag.unit_extract(session, principal, extract_id)


# --- the client's language ----------------------------------------------------------------------------------

LangQuery = Annotated[Literal["sv", "en", "ar"] | None, Query(
    description="sv, en or ar; without it the client's saved language, else Accept-Language, else sv")]


@dataclass(frozen=True)
class ClientLanguage:
    """The language a client's texts are given in, and its direction (Content-Language and the JSON say it)."""

    lang: str
    direction: str

    def fields(self) -> dict[str, str]:
        return {"language": self.lang, "direction": self.direction}

    def headers(self) -> dict[str, str]:
        return {"Content-Language": self.lang}


async def client_language(request: Request, lang: LangQuery = None, session: AsyncSession = Depends(db_session),
                          principal: Principal = Depends(authenticate)) -> ClientLanguage:
    """``?lang=`` when given; else the client's saved language when there is a catalog for it; else the best one
    in Accept-Language; else Swedish (kit.i18n.negotiate)."""
    preferred = lang or await profiles.preferred_language(session, principal)
    chosen = negotiate(request.headers.get("accept-language"), preferred)
    return ClientLanguage(chosen, direction(chosen))
