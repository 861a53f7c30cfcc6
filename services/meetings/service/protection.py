"""Protected identity as meetings uses it: the owner (the registers service, for the population register) decides,
this service asks.

    for_write(...)    a booking or contact that names a client is about to be written: is the client protected?
                      The owner is asked; it cannot answer -> 503 (fail closed, nothing is written). A client's
                      own token claim may only tighten the answer (kept in protected_clients).
    for_display(...)  bookings are about to be shown: each booking's protected flag as the owner says now, one
                      call for all the distinct clients of the answer. The owner cannot answer -> every booking
                      with a client is shown as if protected (uncleared staff do not see it, no place anywhere).
                      The flag a booking row keeps is a copy for its events, never what a display trusts: a
                      protection the population register lifts is lifted here on the next display.

Staff cannot mark anyone protected here: there is no field for it (a booking sending `protected_identity` is
refused as an unknown field).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.i18n import N_
from kit.problems import Problem
from services.meetings.integration.registers import OwnerUnavailable, ProtectionOwner
from services.meetings.store import clients as clients_store
from services.meetings.store.bookings import BookingRecord

log = logging.getLogger("meetings.protection")

UNAVAILABLE_SLUG = "protection-owner-unavailable"


def owner_unavailable() -> Problem:
    return Problem(503, UNAVAILABLE_SLUG, N_("Protected identity cannot be checked right now"),
                   N_("Nothing was changed. Try again in a while."), headers={"Retry-After": "30"})


async def for_write(session: AsyncSession, owner: ProtectionOwner, client: str, *, claim: bool = False) -> bool:
    """Whether ``client`` has protected identity, for a write that names them (503 when the owner cannot tell).
    ``claim``: the client's own token says so (kept, and it only tightens)."""
    try:
        protected = client in await owner.protected_among([client])
    except OwnerUnavailable as exc:
        log.warning("protected identity could not be checked for a write", extra={"reason": str(exc)})
        raise owner_unavailable() from None
    if claim:
        await clients_store.remember_claim(session, client)
        return True
    return protected or await clients_store.is_protected(session, client)


async def protected_now(session: AsyncSession, owner: ProtectionOwner, clients: Iterable[str]) -> frozenset[str]:
    """Those of ``clients`` to treat as protected on a display: the owner's answer (and their own claims), or all
    of them when the owner cannot answer."""
    asked = frozenset(clients)
    if not asked:
        return asked
    try:
        protected = await owner.protected_among(asked)
    except OwnerUnavailable as exc:
        log.warning("protected identity could not be checked for a display", extra={"reason": str(exc)})
        return asked
    return protected | await clients_store.claimed_among(session, asked)


async def for_display(session: AsyncSession, owner: ProtectionOwner,
                      records: list[BookingRecord]) -> list[BookingRecord]:
    """The records with each booking's protected flag as the owner says now, both ways (a protection the owner
    lifted is lifted here too; fail closed: as if protected)."""
    protected = await protected_now(session, owner, {r.booking.client_id for r in records if r.booking.client_id})
    out = []
    for r in records:
        now_protected = r.booking.client_id in protected
        if r.booking.client_id and r.booking.protected_identity is not now_protected:
            r = dataclasses.replace(r, booking=r.booking.model_copy(update={"protected_identity": now_protected}))
        out.append(r)
    return out
