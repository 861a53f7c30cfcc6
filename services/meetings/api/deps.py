"""Dependencies that load AND authorise in one place, so no route can forget the check (BOLA).

A booking the caller may not see answers 404 booking-not-found, exactly like one that does not exist.
Clients act under their personnummer (the booking's client), staff under their token subject. What is checked
and loaded is the service layer's (service/access.py); this module only wires it to the request.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, cast

from fastapi import Depends, Header, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import i18n
from kit.app import ServiceContext
from kit.auth import Principal, authenticate
from kit.db import session as db_session
from kit.i18n import N_
from kit.idempotency import idempotency_key
from kit.problems import Problem
from services.meetings.domain import rules
from services.meetings.domain.rules import Actor
from services.meetings.service import access
from services.meetings.service.access import BookingAccess, Caller
from services.meetings.service.runtime import Runtime

__all__ = ["BookingAccess", "Caller", "IfMatch", "Language", "Rt"]


def context(request: Request) -> ServiceContext:
    return request.app.state.kit  # type: ignore[no-any-return]


async def runtime(request: Request) -> Runtime:
    """The service's runtime (clock, owner of protected identity, relay), made by its start-up hook. Async, so
    FastAPI does not hop to its thread pool for it."""
    return cast(Runtime, context(request).runtime)


Rt = Annotated[Runtime, Depends(runtime)]


async def caller(rt: Rt, principal: Principal = Depends(authenticate)) -> Caller:
    actor = Actor.from_principal(principal)
    if actor.is_client:
        if not principal.personal_number:
            raise Problem(403, rules.Reason.ROLE_NOT_ALLOWED.value, N_("Your role may not do this with meetings"),
                          N_("A client token without a personnummer has no bookings."))
        actor = dataclasses.replace(actor, sub=principal.personal_number)
    elif actor.is_staff:
        await access.refresh_caseworker(rt, principal, actor)
    return Caller(principal, actor)


async def participant(c: Caller = Depends(caller)) -> Caller:
    """Clients and unit staff; everyone else (employment officers, admins, services) has no bookings here."""
    if not (c.is_client or c.is_staff):
        raise rules.MeetingRuleError(rules.Reason.ROLE_NOT_ALLOWED)
    return c


async def staff(c: Caller = Depends(caller)) -> Caller:
    if not c.is_staff:
        raise rules.MeetingRuleError(rules.Reason.ROLE_NOT_ALLOWED)
    return c


async def visible_booking(booking_id: uuid.UUID, rt: Rt, session: AsyncSession = Depends(db_session),
                          c: Caller = Depends(participant)) -> BookingAccess:
    """The booking to show. Staff see it only if the owner says its client is not protected now (or they are
    cleared); when the owner cannot answer it is shown as if protected."""
    return await access.booking_for(session, rt, booking_id, c, lock=None)


async def changeable_booking(booking_id: uuid.UUID, rt: Rt, session: AsyncSession = Depends(db_session),
                             c: Caller = Depends(participant)) -> BookingAccess:
    """The booking for a change, its row locked (SELECT ... FOR UPDATE) in the request's own transaction until the
    service commits: every rule is then checked on the state the change is written over. Two changes of one booking
    queue; the second sees the first's result (a cancelled booking is not moved, gets no staff, no reminders).
    The route's session is this one (FastAPI caches the db_session dependency per request). A change names the
    booking's client, so the owner of protected identity must answer (503 when it cannot)."""
    return await access.booking_for(session, rt, booking_id, c, lock="update")


def check_if_match(if_match: str | None, version: int) -> None:
    """Optimistic concurrency: a change sent with If-Match must name the version it was based on."""
    if if_match is None:
        return
    if if_match.strip().strip('W/').strip('"') != str(version):
        raise Problem(412, "booking-version-mismatch", N_("The booking has changed"),
                      N_("Reload the booking and try again."))


IfMatch = Annotated[str | None, Header(alias="If-Match")]


idempotency = idempotency_key()


async def language(accept_language: Annotated[str | None, Header(
        description="The language of the texts: sv (the default), en or ar (Arabic, right to left).")] = None) -> str:
    """The language a client-facing text is answered in (kit.i18n.negotiate). Async: no hop to the thread pool."""
    return i18n.negotiate(accept_language)


Language = Annotated[str, Depends(language)]
