"""Who is asking and what they may reach: the caller, the booking they may see or change, the unit they manage.

The api's dependencies (api/deps.py) ask here, so no route can forget the check (BOLA). A booking the caller may
not see answers 404 booking-not-found, exactly like one that does not exist. Clients act under their personnummer
(the booking's client), staff under their token subject.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from services.meetings.domain import rules
from services.meetings.domain.bookings import Booking
from services.meetings.domain.rules import Actor
from services.meetings.service import protection
from services.meetings.service.runtime import Runtime
from services.meetings.store import bookings as bookings_store
from services.meetings.store import caseworkers as caseworkers_store
from services.meetings.store.bookings import BookingRecord
from services.meetings.store.caseworkers import CaseworkerRow

ADMIN_ROLE = "admin"
RESTAMP_AFTER = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    principal: Principal
    actor: Actor

    @property
    def is_client(self) -> bool:
        return self.actor.is_client

    @property
    def is_staff(self) -> bool:
        return self.actor.is_staff

    @property
    def protected_claim(self) -> bool:
        return bool(self.principal.claims.get("protected_identity"))


@dataclass
class BookingAccess:
    record: BookingRecord
    caller: Caller

    @property
    def booking(self) -> Booking:
        return self.record.booking


async def refresh_caseworker(rt: Runtime, principal: Principal, actor: Actor) -> None:
    """What others decide about a caseworker (offer their times to a protected client, make them lead or add them)
    rests on their stored clearance and unit: keep them as their current token says, in a transaction of its own
    (a read-only request refreshes too; a refused one does not undo it)."""
    async with rt.sessions() as session:
        await caseworkers_store.refresh_caseworker(session, actor.sub, actor.units, principal.unit,
                                                   actor.protected_access, rt.now(), RESTAMP_AFTER)
        await session.commit()


def cleared(rt: Runtime, row: CaseworkerRow | None) -> bool:
    """Whether a stored caseworker counts as cleared now (their own token confirmed it lately)."""
    return row is not None and row.cleared(rt.now(), rt.clearance_max_age)


def manages_unit(principal: Principal, unit: str) -> bool:
    """Team leads of the unit and municipality admins configure a unit's meeting types and settings."""
    return principal.has_role(ADMIN_ROLE) or (principal.has_role("team_lead") and unit in principal.units)


async def booking_for(session: AsyncSession, rt: Runtime, booking_id: uuid.UUID, c: Caller,
                      lock: str | None) -> BookingAccess:
    """The booking, if the caller may see it. ``lock="update"``: for a change, its row locked until the change
    commits, and its copy of the client's protection brought in line with the owner's answer (503 when the owner
    cannot answer). Without a lock (a display) the owner's answer decides what is shown, as if protected when it
    cannot answer."""
    record = await bookings_store.get_booking(session, booking_id, lock=lock)
    if record is None:
        raise rules.MeetingRuleError(rules.Reason.BOOKING_NOT_FOUND)
    # A staff participant from the booking's staff list sees it like its lead does.
    actor = c.actor
    if actor.is_staff and actor.sub in record.staff_ids and record.booking.caseworker_id != actor.sub:
        actor = dataclasses.replace(actor, units=actor.units | {record.booking.unit_id})
    # First whatever does not depend on protection: a booking the caller may not see anyway is 404 whether or not
    # the owner can be asked, so nobody learns of it from a 503.
    rules.can_view(actor, record.booking.model_copy(update={"protected_identity": False})).raise_if_denied()
    client = record.booking.client_id
    if client:
        if lock is not None:
            protected = await protection.for_write(session, rt.owner, client)
            if protected is not record.booking.protected_identity:
                await bookings_store.set_booking_protection(session, record.booking.id, protected)
                record = dataclasses.replace(record, booking=record.booking.model_copy(
                    update={"protected_identity": protected}))
        else:  # what it shows (its place in a calendar file, to staff at all) follows the owner's answer
            [record] = await protection.for_display(session, rt.owner, [record])
    rules.can_view(actor, record.booking).raise_if_denied()
    return BookingAccess(record, Caller(c.principal, actor))
