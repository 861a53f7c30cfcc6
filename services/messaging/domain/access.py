"""Who sees which thread, and on which side they write: the object-level (BOLA) rules as pure functions.

    client              threads whose household they belong to (by personal number), protected or not
    caseworker          threads of their unit(s); protected-identity threads only with the
                        protected_identity permission. They read and write.
    employment_officer  as a caseworker, but only threads they are a party to (they started it, or it is
                        assigned to them): they work on the plan toward work, not on the money, so the
                        unit's other threads (and the case export) are not theirs; the same rule as in
                        applications, where they see a case's status, plan and meetings only
    team_lead           as a caseworker, but reads only (supervision)
    admin, service      no thread at all (the service role only posts events)

The API answers "no" with 404 whatever the reason, so nobody learns that a thread exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from values.personal_number import normalise_personal_number

PROTECTED_PERMISSION = "protected_identity"
STAFF_WRITERS = frozenset({"caseworker", "employment_officer"})
STAFF_READERS = STAFF_WRITERS | {"team_lead"}
WORK_ONLY_ROLE = "employment_officer"
FULL_STAFF = frozenset({"caseworker", "team_lead"})


class Side(StrEnum):
    CLIENT = "client"
    STAFF = "staff"


@dataclass(frozen=True)
class Party:
    """The caller as messaging sees them (from kit.auth.Principal; duck-typed, the domain imports no web kit)."""

    sub: str
    roles: frozenset[str]
    units: frozenset[str] = frozenset()
    personal_number: str | None = field(default=None, repr=False)
    protected_access: bool = False
    protected_identity: bool = False  # a client whose own identity is protected
    name: str | None = field(default=None, repr=False)

    @classmethod
    def from_principal(cls, principal: Any) -> Party:
        units = set(getattr(principal, "units", ()) or ())
        if getattr(principal, "unit", None):
            units.add(principal.unit)
        pnr = None
        if "client" in principal.roles and getattr(principal, "personal_number", None):
            try:
                pnr = normalise_personal_number(principal.personal_number)
            except ValueError:
                pnr = None
        claims = getattr(principal, "claims", {}) or {}
        return cls(
            sub=principal.sub,
            roles=frozenset(principal.roles),
            units=frozenset(units),
            personal_number=pnr,
            protected_access=PROTECTED_PERMISSION in (getattr(principal, "permissions", ()) or ()),
            protected_identity=bool(claims.get("protected_identity")),
            name=getattr(principal, "name", None),
        )

    @property
    def is_client(self) -> bool:
        return "client" in self.roles and self.personal_number is not None

    @property
    def is_staff(self) -> bool:
        return not self.roles.isdisjoint(STAFF_READERS)

    @property
    def can_write_as_staff(self) -> bool:
        return not self.roles.isdisjoint(STAFF_WRITERS)

    @property
    def work_only(self) -> bool:
        """An employment officer without a wider staff role: only the threads they are a party to."""
        return WORK_ONLY_ROLE in self.roles and self.roles.isdisjoint(FULL_STAFF)


@dataclass(frozen=True)
class ThreadFacts:
    unit: str
    members: frozenset[str] = field(repr=False)  # normalised personal numbers of the household
    protected_identity: bool = False
    assigned_to: str | None = None
    created_by: str | None = None


def is_member(party: Party, thread: ThreadFacts) -> bool:
    return party.is_client and party.personal_number in thread.members


def is_unit_staff(party: Party, thread: ThreadFacts) -> bool:
    if not party.is_staff:
        return False
    if thread.protected_identity and not party.protected_access:
        return False
    # The unit decides, never the assignment alone: a thread handed (by mistake or on purpose) to someone
    # outside the unit must not show them the household's messages.
    if thread.unit not in party.units:
        return False
    return not party.work_only or party.sub in (thread.created_by, thread.assigned_to)


def side(party: Party, thread: ThreadFacts) -> Side | None:
    """The side the party reads and writes on, or None: then the thread does not exist for them.

    A member is always the client side, even if they also hold a staff role (nobody handles their own case).
    """
    if is_member(party, thread):
        return Side.CLIENT
    if is_unit_staff(party, thread):
        return Side.STAFF
    return None


def can_read(party: Party, thread: ThreadFacts) -> bool:
    return side(party, thread) is not None


def can_write(party: Party, thread: ThreadFacts) -> bool:
    s = side(party, thread)
    return s is Side.CLIENT or (s is Side.STAFF and party.can_write_as_staff)


def can_manage(party: Party, thread: ThreadFacts) -> bool:
    """Take, release, hand over: the unit's writing staff."""
    return side(party, thread) is Side.STAFF and party.can_write_as_staff


def staff_units(party: Party) -> frozenset[str]:
    return party.units if party.is_staff else frozenset()


def reader_key(party: Party, s: Side) -> str:
    """The key read state is kept under: a client by personal number (several logins, one person), staff by sub."""
    if s is Side.CLIENT:
        assert party.personal_number is not None
        return f"pnr:{party.personal_number}"
    return f"sub:{party.sub}"
