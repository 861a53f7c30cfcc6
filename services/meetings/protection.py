"""Protected identity as meetings uses it: the owner (the applications service) decides, this service asks.

    for_write(...)    a booking or contact that names a client is about to be written: is the client protected?
                      The owner is asked; it cannot answer -> 503 (fail closed, nothing is written). What this
                      service already knows may only tighten the answer: the sticky protected_clients table (a
                      cache of earlier answers, never the source of truth) and a client's own token claim.
                      A protected answer is kept: the client's bookings are marked protected for good.
    for_display(...)  bookings are about to be shown: each booking's protected flag as the owner says now, one
                      call for all the distinct clients of the answer. The owner cannot answer -> every booking
                      with a client is shown as if protected (uncleared staff do not see it, no place anywhere).

Staff cannot mark anyone protected here: there is no field for it (a booking sending `protected_identity` is
refused as an unknown field).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.problems import Problem
from services.meetings import store
from services.meetings.integration.applications import OwnerUnavailable, ProtectionOwner

log = logging.getLogger("meetings.protection")

UNAVAILABLE_SLUG = "protection-owner-unavailable"


def owner_unavailable() -> Problem:
    return Problem(503, UNAVAILABLE_SLUG, "Protected identity cannot be checked right now",
                   "Nothing was changed. Try again in a while.", headers={"Retry-After": "30"})


async def for_write(session: AsyncSession, owner: ProtectionOwner, client: str, *, claim: bool = False) -> bool:
    """Whether ``client`` has protected identity, for a write that names them (503 when nobody can tell)."""
    if await store.is_protected(session, client):
        return True  # known protected: protection only tightens, no need to ask
    try:
        protected = client in await owner.protected_among([client])
    except OwnerUnavailable as exc:
        log.warning("protected identity could not be checked for a write", extra={"reason": str(exc)})
        raise owner_unavailable() from None
    if protected or claim:
        await store.mark_protected(session, client)
        return True
    return False


async def protected_now(owner: ProtectionOwner, clients: Iterable[str]) -> frozenset[str]:
    """Those of ``clients`` to treat as protected on a display: the owner's answer, or all of them without one."""
    asked = frozenset(clients)
    if not asked:
        return asked
    try:
        return await owner.protected_among(asked)
    except OwnerUnavailable as exc:
        log.warning("protected identity could not be checked for a display", extra={"reason": str(exc)})
        return asked


async def for_display(owner: ProtectionOwner, records: list[store.BookingRecord]) -> list[store.BookingRecord]:
    """The records with each booking's protected flag as the owner says now (fail closed: as if protected)."""
    ask = {r.booking.client_id for r in records if r.booking.client_id and not r.booking.protected_identity}
    protected = await protected_now(owner, ask)
    if not protected:
        return records
    return [dataclasses.replace(r, booking=r.booking.model_copy(update={"protected_identity": True}))
            if r.booking.client_id in protected else r for r in records]
