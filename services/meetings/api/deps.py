"""Dependencies that load AND authorise in one place, so no route can forget the check (BOLA).

A booking the caller may not see answers 404 booking-not-found, exactly like one that does not exist.
Clients act under their personnummer (the booking's client), staff under their token subject.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.app import ServiceContext
from kit.auth import Principal, authenticate
from kit.db import session as db_session
from kit.problems import Problem
from services.meetings import protection, store
from services.meetings.domain import rules
from services.meetings.domain.bookings import Booking
from services.meetings.domain.rules import Actor
from services.meetings.integration.applications import ProtectionOwner
from services.meetings.settings import MeetingsSettings

ADMIN_ROLE = "admin"


def context(request: Request) -> ServiceContext:
    return request.app.state.kit  # type: ignore[no-any-return]


def settings_of(request: Request) -> MeetingsSettings:
    return context(request).settings  # type: ignore[return-value]


def clock(request: Request) -> dt.datetime:
    return context(request).extras["clock"]()  # type: ignore[no-any-return]


def service_extra(request: Request, name: str) -> Any:
    return context(request).extras[name]


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


async def caller(request: Request, principal: Principal = Depends(authenticate)) -> Caller:
    actor = Actor.from_principal(principal)
    if actor.is_client:
        if not principal.personal_number:
            raise Problem(403, rules.Reason.ROLE_NOT_ALLOWED.value, "Your role may not do this with meetings",
                          "A client token without a personnummer has no bookings.")
        actor = dataclasses.replace(actor, sub=principal.personal_number)
    elif actor.is_staff:
        await _refresh_caseworker(request, principal, actor)
    return Caller(principal, actor)


RESTAMP_AFTER = dt.timedelta(minutes=1)


async def _refresh_caseworker(request: Request, principal: Principal, actor: Actor) -> None:
    """What others decide about a caseworker (offer their times to a protected client, make them lead or add them)
    rests on their stored clearance and unit: keep them as their current token says, in a transaction of its own
    (a read-only request refreshes too; a refused one does not undo it)."""
    async with context(request).sessions() as session:
        await store.refresh_caseworker(session, actor.sub, actor.units, principal.unit, actor.protected_access,
                                       clock(request), RESTAMP_AFTER)
        await session.commit()


def clearance_max_age(request: Request) -> dt.timedelta:
    return dt.timedelta(seconds=settings_of(request).clearance_max_age_seconds)


async def cleared(request: Request, row: store.CaseworkerRow | None) -> bool:
    """Whether a stored caseworker counts as cleared now (their own token confirmed it lately)."""
    return row is not None and row.cleared(clock(request), clearance_max_age(request))


async def participant(c: Caller = Depends(caller)) -> Caller:
    """Clients and unit staff; everyone else (employment officers, admins, services) has no bookings here."""
    if not (c.is_client or c.is_staff):
        raise rules.MeetingRuleError(rules.Reason.ROLE_NOT_ALLOWED)
    return c


async def staff(c: Caller = Depends(caller)) -> Caller:
    if not c.is_staff:
        raise rules.MeetingRuleError(rules.Reason.ROLE_NOT_ALLOWED)
    return c


def manages_unit(principal: Principal, unit: str) -> bool:
    """Team leads of the unit and municipality admins configure a unit's meeting types and settings."""
    return principal.has_role(ADMIN_ROLE) or (principal.has_role("team_lead") and unit in principal.units)


def owner(request: Request) -> ProtectionOwner:
    """The owner of protected identity (the applications service), asked before a person is written or shown."""
    return service_extra(request, "protection_owner")  # type: ignore[no-any-return]


@dataclass
class BookingAccess:
    record: store.BookingRecord
    caller: Caller

    @property
    def booking(self) -> Booking:
        return self.record.booking


async def visible_booking(booking_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                          c: Caller = Depends(participant)) -> BookingAccess:
    """The booking to show. Staff see it only if the owner says its client is not protected now (or they are
    cleared); when the owner cannot answer it is shown as if protected."""
    return await _access(request, session, booking_id, c, lock=None)


async def changeable_booking(booking_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                             c: Caller = Depends(participant)) -> BookingAccess:
    """The booking for a change, its row locked (SELECT ... FOR UPDATE) in the request's own transaction until the
    route commits: every rule is then checked on the state the change is written over. Two changes of one booking
    queue; the second sees the first's result (a cancelled booking is not moved, gets no staff, no reminders).
    The route's session is this one (FastAPI caches the db_session dependency per request). A change names the
    booking's client, so the owner of protected identity must answer (503 when it cannot)."""
    return await _access(request, session, booking_id, c, lock="update")


async def _access(request: Request, session: AsyncSession, booking_id: uuid.UUID, c: Caller,
                  lock: str | None) -> BookingAccess:
    record = await store.get_booking(session, booking_id, lock=lock)
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
            protected = await protection.for_write(session, owner(request), client)
            if protected is not record.booking.protected_identity:
                await store.set_booking_protection(session, record.booking.id, protected)
                record = dataclasses.replace(record, booking=record.booking.model_copy(
                    update={"protected_identity": protected}))
        else:  # what it shows (its place in a calendar file, to staff at all) follows the owner's answer
            [record] = await protection.for_display(session, owner(request), [record])
    rules.can_view(actor, record.booking).raise_if_denied()
    return BookingAccess(record, Caller(c.principal, actor))


def check_if_match(if_match: str | None, version: int) -> None:
    """Optimistic concurrency: a change sent with If-Match must name the version it was based on."""
    if if_match is None:
        return
    if if_match.strip().strip('W/').strip('"') != str(version):
        raise Problem(412, "booking-version-mismatch", "The booking has changed",
                      "Reload the booking and try again.")


IfMatch = Annotated[str | None, Header(alias="If-Match")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key",
                                              description="Retry safely: the first answer is returned again.")]
