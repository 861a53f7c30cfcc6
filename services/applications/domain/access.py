"""Who may read which case, and which parts of it: the object-level (BOLA) rules as pure functions.

Every answer is a plain bool. The API answers "no" with 404, never 403, so a caller cannot learn
that a case exists (the same for a protected-identity case as for a case that is not there).

    client               their own household's cases (as applicant or co-applicant who has joined): everything
    invited co-applicant the draft that names them, to decide on: the content and signatures, no files,
                         no steps (they accept, decline or sign with their own login; declined: nothing)
    caseworker           cases of their unit(s), or cases assigned to them as caseworker: everything
    team_lead            cases of their unit(s) or assigned to them as caseworker: everything (supervision)
    employment_officer   cases of their unit(s): status, plan and meetings only
                         (arbetsmarknadssekreterare work on the path to work, not on the money)
    assigned as employment officer
                         any staff member: status, plan and meetings only, whatever their own role (the
                         assignment says what they are on this case; it never opens the money or the files)
    service              any case: status, plan and meetings (internal callers need routing facts only)
    admin                no case data at all (configures units, norms and policy)
    protected identity   staff need the protected_access flag; the clients themselves always see their case
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from services.applications.domain.lifecycle import ActorRole
from values.personal_number import normalise_personal_number

PROTECTED_PERMISSION = "protected_identity"  # the token permission that sets protected_access


class Role(StrEnum):
    CLIENT = "client"
    CASEWORKER = "caseworker"
    EMPLOYMENT_OFFICER = "employment_officer"
    TEAM_LEAD = "team_lead"
    ADMIN = "admin"
    SERVICE = "service"


class Section(StrEnum):
    STATUS = "status"  # state, period, kind, who is assigned
    HOUSEHOLD = "household"
    HOUSING = "housing"
    INCOMES = "incomes"
    COSTS = "costs"
    ASSETS = "assets"
    ATTACHMENTS = "attachments"
    BANK_STATEMENTS = "bank_statements"
    DOCUMENT_REQUESTS = "document_requests"
    SIGNATURES = "signatures"
    REGISTER_DATA = "register_data"
    CALCULATION = "calculation"
    DECISION = "decision"
    PLAN = "plan"
    MEETINGS = "meetings"
    MESSAGES = "messages"


ALL_SECTIONS = frozenset(Section)
# What an invited co-applicant reads before they say yes: what they would sign, not the applicant's files.
INVITATION_SECTIONS = frozenset({Section.STATUS, Section.HOUSEHOLD, Section.HOUSING, Section.INCOMES, Section.COSTS,
                                 Section.ASSETS, Section.PLAN, Section.SIGNATURES})
WORK_SECTIONS = frozenset({Section.STATUS, Section.PLAN, Section.MEETINGS})
SERVICE_SECTIONS = WORK_SECTIONS


@dataclass(frozen=True)
class AccessPrincipal:
    sub: str
    roles: frozenset[str]
    units: frozenset[str] = frozenset()
    personal_number: str | None = field(default=None, repr=False)
    protected_access: bool = False

    @classmethod
    def from_principal(cls, principal: Any) -> AccessPrincipal:
        """From kit.auth.Principal (duck-typed: the domain does not import the web kit)."""
        units = set(getattr(principal, "units", ()) or ())
        if getattr(principal, "unit", None):
            units.add(principal.unit)
        return cls(
            sub=principal.sub,
            roles=frozenset(principal.roles),
            units=frozenset(units),
            personal_number=getattr(principal, "personal_number", None),
            protected_access=PROTECTED_PERMISSION in (getattr(principal, "permissions", ()) or ()),
        )


@dataclass(frozen=True)
class CaseAccess:
    """The facts about a case that access depends on. Only the applicant and co-applicant get client access:
    children and other adults in the home are not parties to the application."""

    unit: str
    applicant_personal_number: str | None = field(default=None, repr=False)
    co_applicant_personal_number: str | None = field(default=None, repr=False)
    # invited / joined / declined: the co-applicant is a party only once joined (None: as joined, for old callers)
    co_applicant_status: str | None = None
    # role of the assignment ("caseworker", "employment_officer", ...) -> subjects
    assigned: Mapping[str, frozenset[str]] = field(default_factory=dict, hash=False)
    protected_identity: bool = False

    def is_assigned(self, sub: str, as_role: str | None = None) -> bool:
        if as_role is not None:
            return sub in self.assigned.get(as_role, frozenset())
        return any(sub in subs for subs in self.assigned.values())


def _normalised(pnr: str | None) -> str | None:
    if not pnr:
        return None
    if len(pnr) == 12 and pnr.isdigit():  # the stored and signed-in form: its reading never changes
        return _long_form(pnr)
    try:
        return normalise_personal_number(pnr)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _long_form(pnr: str) -> str | None:
    # Every case load compares the caller with both applicants (about ten parses a request otherwise).
    try:
        return normalise_personal_number(pnr)
    except ValueError:
        return None


def _party(principal: AccessPrincipal, case: CaseAccess) -> ActorRole | None:
    """CLIENT or CO_APPLICANT when the principal is a client and one of the two applicants."""
    if Role.CLIENT not in principal.roles:
        return None
    mine = _normalised(principal.personal_number)
    if mine is None:
        return None
    if mine == _normalised(case.applicant_personal_number):
        return ActorRole.CLIENT
    if mine == _normalised(case.co_applicant_personal_number) and case.co_applicant_status in (None, "joined"):
        return ActorRole.CO_APPLICANT
    return None


def is_invitee(principal: AccessPrincipal, case: CaseAccess) -> bool:
    """A client named as co-applicant who has not answered yet: may read the draft and accept or decline."""
    if Role.CLIENT not in principal.roles or case.co_applicant_status != "invited":
        return False
    mine = _normalised(principal.personal_number)
    return mine is not None and mine == _normalised(case.co_applicant_personal_number)


def _staff_related(principal: AccessPrincipal, case: CaseAccess, as_role: str = Role.CASEWORKER) -> bool:
    """Staff of the case's unit, or assigned to it in that role (an assignment in one role never gives another)."""
    if case.protected_identity and not principal.protected_access:
        return False
    return case.unit in principal.units or case.is_assigned(principal.sub, as_role)


STAFF_ROLES = frozenset({Role.CASEWORKER, Role.TEAM_LEAD, Role.EMPLOYMENT_OFFICER})


def _assigned_as_employment_officer(principal: AccessPrincipal, case: CaseAccess) -> bool:
    if case.protected_identity and not principal.protected_access:
        return False
    return case.is_assigned(principal.sub, Role.EMPLOYMENT_OFFICER)


def readable_sections(principal: AccessPrincipal, case: CaseAccess) -> frozenset[Section]:
    """The union over the principal's roles of what each role may read of this case."""
    sections: set[Section] = set()
    roles = principal.roles
    if _party(principal, case) is not None:
        sections |= ALL_SECTIONS
    elif is_invitee(principal, case):
        sections |= INVITATION_SECTIONS
    if roles & {Role.CASEWORKER, Role.TEAM_LEAD} and _staff_related(principal, case):
        sections |= ALL_SECTIONS
    if Role.EMPLOYMENT_OFFICER in roles and _staff_related(principal, case, Role.EMPLOYMENT_OFFICER):
        sections |= WORK_SECTIONS
    if roles & STAFF_ROLES and _assigned_as_employment_officer(principal, case):
        sections |= WORK_SECTIONS
    if Role.SERVICE in roles:
        sections |= SERVICE_SECTIONS
    return frozenset(sections)


def can_read_case(principal: AccessPrincipal, case: CaseAccess) -> bool:
    return bool(readable_sections(principal, case))


def can_read_section(principal: AccessPrincipal, case: CaseAccess, section: Section) -> bool:
    return section in readable_sections(principal, case)


def actor_role(principal: AccessPrincipal, case: CaseAccess) -> ActorRole | None:
    """The role the principal acts in on this case's lifecycle, or None (then nothing may be done).

    Staff roles come first: someone who is both staff and a party acts as staff only where staff
    may; the API should not let a caseworker handle a case they are a party to (jäv) in the first place.
    """
    roles = principal.roles
    if Role.SERVICE in roles:
        return ActorRole.SYSTEM
    if not can_read_case(principal, case):
        return None
    if Role.CASEWORKER in roles and _staff_related(principal, case):
        return ActorRole.CASEWORKER
    if Role.TEAM_LEAD in roles and _staff_related(principal, case):
        return ActorRole.TEAM_LEAD
    return _party(principal, case)
