"""Dependencies that load AND authorise a case in one place, so no route can forget the check (BOLA).

A case the caller may not see answers 404, exactly like a case that does not exist (the same for a
protected-identity case as for another unit's case).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.app import ServiceContext
from kit.auth import Principal, authenticate, person_or_service
from kit.db import session as db_session
from kit.problems import Problem, not_found
from services.applications import store
from services.applications.domain import access, months
from services.applications.domain.access import AccessPrincipal, Role, Section
from services.applications.domain.assignment import StaffMember
from services.applications.domain.lifecycle import ActorRole
from services.applications.settings import ApplicationsSettings

STAFF_ROLES = frozenset({Role.CASEWORKER, Role.TEAM_LEAD, Role.EMPLOYMENT_OFFICER})
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def context(request: Request) -> ServiceContext:
    return request.app.state.kit  # type: ignore[no-any-return]


def settings_of(request: Request) -> ApplicationsSettings:
    return context(request).settings  # type: ignore[return-value]


def clock(request: Request) -> dt.datetime:
    return context(request).extras["clock"]()  # type: ignore[no-any-return]


def today(request: Request) -> dt.date:
    """The clock's date in Swedish time (what "this month" means for a client)."""
    return clock(request).astimezone(STOCKHOLM).date()


def check_period(request: Request, period: str, field: str) -> None:
    months.check_period(period, today(request), field, settings_of(request).months_ahead)


def extra(request: Request, name: str) -> Any:
    return context(request).extras[name]


def is_staff(principal: Principal) -> bool:
    return bool(principal.roles & STAFF_ROLES)


def access_reason(request: Request, default: str) -> str:
    """Why staff read this (X-Access-Reason), or the endpoint's default purpose; kept short for the log."""
    given = (request.headers.get("x-access-reason") or "").strip()
    return given[:200] if given else default


_SEEN_EVERY = dt.timedelta(hours=1)  # a staff member's row is refreshed at most this often per replica


async def note_staff(request: Request, principal: Principal) -> None:
    """Keep what a staff member's own token says about them (who may be assigned cases: domain/assignment.py).
    In a short transaction of its own, so it is kept whatever the request does; at most once an hour per person
    and replica unless their roles, units or clearance changed."""
    if not is_staff(principal) or principal.is_service:
        return
    now = clock(request)
    member = StaffMember(principal.sub, frozenset(principal.roles & STAFF_ROLES), frozenset(principal.units),
                         principal.can(access.PROTECTED_PERMISSION), now)
    seen: dict[str, tuple[Any, dt.datetime]] = context(request).extras.setdefault("staff_seen", {})
    fingerprint = (member.roles, member.units, member.protected_access, principal.name)
    last = seen.get(principal.sub)
    if last is not None and last[0] == fingerprint and now - last[1] < _SEEN_EVERY:
        return
    async with context(request).sessions() as session:
        await store.record_staff(session, member, principal.name)
        await session.commit()
    if len(seen) > 10_000:
        seen.clear()
    seen[principal.sub] = (fingerprint, now)


async def client_principal(principal: Principal = Depends(authenticate)) -> Principal:
    if Role.CLIENT not in principal.roles or not principal.personal_number:
        raise Problem(403, "forbidden", "Forbidden", "Only clients (signed in with e-ID) may do this.")
    return principal


async def caseworker_principal(request: Request, principal: Principal = Depends(authenticate)) -> Principal:
    if Role.CASEWORKER not in principal.roles:
        raise Problem(403, "forbidden", "Forbidden", "Only caseworkers may do this.")
    await note_staff(request, principal)
    return principal


async def staff_principal(request: Request, principal: Principal = Depends(authenticate)) -> Principal:
    if not is_staff(principal):
        raise Problem(403, "forbidden", "Forbidden", "Only unit staff may do this.")
    await note_staff(request, principal)
    return principal


@dataclass
class CaseContext:
    """A case the caller may see, with what they may see of it and the role they act in."""

    case: store.CaseRecord
    principal: Principal
    who: AccessPrincipal
    sections: frozenset[Section]
    role: ActorRole | None
    request: Request

    @property
    def is_party(self) -> bool:
        return self.role in (ActorRole.CLIENT, ActorRole.CO_APPLICANT)

    @property
    def is_invitee(self) -> bool:
        """Named as co-applicant, not yet answered: reads the draft, may accept, decline or sign."""
        return access.is_invitee(self.who, self.case.access())

    @property
    def staff_view(self) -> bool:
        return not self.is_party and is_staff(self.principal)

    @property
    def subject(self) -> str:
        """Whose data: the applicants' personnummer (the audit log is where "who read Anna's case?" is answered)."""
        return ",".join(self.case.recipients)

    def can(self, section: Section) -> bool:
        return section in self.sections

    def require(self, section: Section) -> None:
        # A part the caller may not read looks missing, like the case itself would.
        if section not in self.sections:
            raise not_found("resource")

    def require_role(self, *roles: ActorRole) -> ActorRole:
        if self.role not in roles:
            raise Problem(403, "case-role-not-allowed", "You may not take that step",
                          "Your role in this case may not do this.")
        assert self.role is not None
        return self.role

    def audit_read(self, session: AsyncSession, what: str, default_reason: str, resource_id: str | None = None,
                   **details: Any) -> None:
        """Staff reading personal data is recorded (who, what, when, why); a client's own reads are not."""
        if self.staff_view:
            audit.record(session, self.principal, "read", what, resource_id or str(self.case.id),
                         subject=self.subject, purpose=access_reason(self.request, default_reason),
                         details={"case_id": str(self.case.id), **details})

    def audit_change(self, session: AsyncSession, action: str, what: str = "case", **details: Any) -> None:
        if not self.is_party:
            audit.record(session, self.principal, action, what, str(self.case.id),
                         subject=self.subject, purpose=action,
                         details={"case_id": str(self.case.id), **details})


async def _load(case_id: uuid.UUID, request: Request, session: AsyncSession, principal: Principal,
                lock: bool) -> CaseContext:
    await note_staff(request, principal)
    case = await store.get_case(session, case_id, lock=lock)
    who = AccessPrincipal.from_principal(principal)
    if case is None:
        raise not_found("application")
    facts = case.access()
    sections = access.readable_sections(who, facts)
    if not sections:
        raise not_found("application")
    role = access.actor_role(who, facts)
    if role is ActorRole.SYSTEM and principal.client_id not in settings_of(request).system_client_set():
        role = None  # a service may read routing facts; only the configured systems may move a case
    return CaseContext(case, principal, who, sections, role, request)



async def readable_case(case_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                        principal: Principal = Depends(authenticate)) -> CaseContext:
    return await _load(case_id, request, session, principal, lock=False)


async def locked_case(case_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                      principal: Principal = Depends(authenticate)) -> CaseContext:
    """The same check, with the case row locked until commit: two steps on one case never interleave."""
    return await _load(case_id, request, session, principal, lock=True)


async def locked_case_for_system(case_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                                 principal: Principal = Depends(person_or_service(setting="system_clients"))
                                 ) -> CaseContext:
    """``locked_case`` for a step a system may take too (APPLICATIONS_SYSTEM_CLIENTS, e.g. payments marking a
    case paid): the only kind of case route a service token reaches; every other one is for persons."""
    return await _load(case_id, request, session, principal, lock=True)
