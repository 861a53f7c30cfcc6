"""Dependencies that load AND authorise in one place, so no route can forget the check (BOLA).

A thread the caller may not see answers 404, exactly like a thread that does not exist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.app import ServiceContext
from kit.auth import Principal, authenticate
from kit.db import session as db_session
from kit.problems import Problem, not_found
from services.messaging import store
from services.messaging.domain import access
from services.messaging.domain.access import Party, Side
from services.messaging.domain.crypto import Keyring
from services.messaging.protection import ProtectionOwner, ProtectionUnavailable
from services.messaging.settings import MessagingSettings


def context(request: Request) -> ServiceContext:
    return request.app.state.kit  # type: ignore[no-any-return]


def settings_of(request: Request) -> MessagingSettings:
    return context(request).settings  # type: ignore[return-value]


def keyring_of(request: Request) -> Keyring:
    return context(request).extras["keyring"]  # type: ignore[no-any-return]


def clock(request: Request) -> dt.datetime:
    return context(request).extras["clock"]()  # type: ignore[no-any-return]


def service_extra(request: Request, name: str) -> Any:
    return context(request).extras[name]


async def owner_protected(request: Request, personal_numbers: list[str]) -> frozenset[str]:
    """Who of these the owner (applications) says has protected identity. Fails closed: no answer, no thread
    (503 whoever it is about). Without a configured owner (development): nobody beyond our own copy."""
    owner: ProtectionOwner | None = context(request).extras.get("protection")
    if owner is None:
        return frozenset()
    try:
        return await owner.protected_among(personal_numbers)
    except ProtectionUnavailable:
        raise Problem(503, "protection-check-unavailable", "Try again shortly",
                      "We could not check who may see this right now; nothing was started.") from None


async def party(principal: Principal = Depends(authenticate)) -> Party:
    return Party.from_principal(principal)


async def participant(p: Party = Depends(party)) -> Party:
    """Clients (with a personal number) and unit staff; everyone else has no threads."""
    if not (p.is_client or p.is_staff):
        raise Problem(403, "forbidden", "Forbidden", "Your role has no messages.")
    return p


async def staff(p: Party = Depends(party)) -> Party:
    if not p.is_staff:
        raise Problem(403, "forbidden", "Forbidden", "Only unit staff may do this.")
    return p


async def staff_writer(p: Party = Depends(party)) -> Party:
    if not p.can_write_as_staff:
        raise Problem(403, "forbidden", "Forbidden", "Only caseworkers may do this.")
    return p


async def client(p: Party = Depends(party)) -> Party:
    if not p.is_client:
        raise Problem(403, "forbidden", "Forbidden", "Only clients have their own contact details here.")
    return p


@dataclass
class ThreadAccess:
    thread: store.ThreadRecord
    side: Side
    party: Party
    principal: Principal

    @property
    def reader(self) -> str:
        return access.reader_key(self.party, self.side)

    @property
    def staff_view(self) -> bool:
        return self.side is Side.STAFF

    def audit_read(self, session: AsyncSession, what: str, resource_id: str | None = None,
                   **details: Any) -> None:
        """Staff reading a client's messages is recorded (the client's own reads are not)."""
        if self.staff_view:
            audit.record(session, self.principal, "read", what, resource_id or str(self.thread.id),
                         subject=",".join(sorted(self.thread.members)), purpose="messaging",
                         details={"thread_id": str(self.thread.id), **details})


async def readable_thread(thread_id: uuid.UUID, request: Request,
                          session: AsyncSession = Depends(db_session),
                          principal: Principal = Depends(authenticate),
                          p: Party = Depends(participant)) -> ThreadAccess:
    thread = await store.get_thread(session, keyring_of(request), thread_id, clock(request))
    side = access.side(p, thread.facts()) if thread is not None else None
    if thread is None or side is None:
        raise not_found("thread")
    return ThreadAccess(thread, side, p, principal)


async def writable_thread(t: ThreadAccess = Depends(readable_thread)) -> ThreadAccess:
    if not access.can_write(t.party, t.thread.facts()):
        raise Problem(403, "forbidden", "Forbidden", "You may read this thread but not write in it.")
    return t


async def managed_thread(t: ThreadAccess = Depends(readable_thread)) -> ThreadAccess:
    if not access.can_manage(t.party, t.thread.facts()):
        raise Problem(403, "forbidden", "Forbidden", "Only the unit's caseworkers may assign threads.")
    return t
