"""A case loaded AND authorised in one place, so no use case can forget the check (BOLA).

A case the caller may not see answers 404, exactly like a case that does not exist (the same for a
protected-identity case as for another unit's case).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.problems import Problem, not_found
from services.applications.domain import access
from services.applications.domain.access import AccessPrincipal, Section
from services.applications.domain.lifecycle import ActorRole
from services.applications.service.runtime import Runtime
from services.applications.service.staff import is_staff, note_staff
from services.applications.store import cases
from services.applications.store.cases import CaseRecord


def access_reason(given: str | None, default: str) -> str:
    """Why staff read this (X-Access-Reason), or the endpoint's default purpose; kept short for the log."""
    given = (given or "").strip()
    return given[:200] if given else default


def on_behalf(principal: Principal, role: str | None, details: dict[str, Any] | None) -> dict[str, Any] | None:
    """A history row's details, with the representation when a representative acts (kit.representation): the row's
    actor is then the representative (their subject and the representation), acting for the client in ``role``."""
    if principal.acting is None:
        return details
    return {**(details or {}), "representation": {"id": principal.acting.representation_id,
                                                  "kind": principal.acting.kind, "for": role}}


@dataclass
class CaseContext:
    """A case the caller may see, with what they may see of it and the role they act in."""

    case: CaseRecord
    principal: Principal
    who: AccessPrincipal
    sections: frozenset[Section]
    role: ActorRole | None
    runtime: Runtime
    reason: str | None = None  # the caller's X-Access-Reason, if given

    @property
    def is_party(self) -> bool:
        return self.role in (ActorRole.CLIENT, ActorRole.CO_APPLICANT)

    @property
    def is_invitee(self) -> bool:
        """Named as co-applicant, not yet answered: reads the draft, may accept, decline or sign."""
        return access.is_invitee(self.who, self.case.access())

    @property
    def represented(self) -> bool:
        """A representative acts for the client (every read and change of theirs is audited)."""
        return self.principal.acting is not None

    def history_details(self, details: dict[str, Any] | None) -> dict[str, Any] | None:
        return on_behalf(self.principal, self.role.value if self.role else None, details)

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
        """Staff reading personal data is recorded (who, what, when, why), and so is a representative's reading for
        the client; a client's own reads are not."""
        if self.staff_view or self.represented:
            audit.record(session, self.principal, "read", what, resource_id or str(self.case.id),
                         subject=self.subject, purpose=access_reason(self.reason, default_reason),
                         details={"case_id": str(self.case.id), **details})

    def audit_change(self, session: AsyncSession, action: str, what: str = "case", **details: Any) -> None:
        if not self.is_party or self.represented:
            audit.record(session, self.principal, action, what, str(self.case.id),
                         subject=self.subject, purpose=action,
                         details={"case_id": str(self.case.id), **details})


async def load_case(session: AsyncSession, rt: Runtime, principal: Principal, case_id: uuid.UUID, *, lock: bool,
                    reason: str | None = None, signatures: bool = False) -> CaseContext:
    """``lock``: the case row stays locked until commit, so two steps on one case never interleave.
    ``signatures``: the case's signatures are read with it (``case.signatures``)."""
    await note_staff(rt, principal)
    case = await cases.get_case(session, case_id, lock=lock, signatures=signatures)
    who = AccessPrincipal.from_principal(principal)
    if case is None:
        raise not_found("application")
    facts = case.access()
    sections = access.readable_sections(who, facts)
    if not sections:
        raise not_found("application")
    role = access.actor_role(who, facts)
    if role is ActorRole.SYSTEM and principal.client_id not in rt.settings.system_client_set():
        role = None  # a service may read routing facts; only the configured systems may move a case
    return CaseContext(case, principal, who, sections, role, rt, reason)
