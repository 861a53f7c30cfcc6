"""Calendar export and the public, token-protected endpoints.

    GET  /bookings/{id}.ics     the booking as a calendar file (whoever may see the booking)
    POST /me/feed               a caseworker's feed URL, new token each time (the old one stops working); it
                                expires, and ends when its owner changes unit or loses their clearance
    DELETE /me/feed             revoke it
    GET  /feeds/{token}.ics     the feed; public at the gateway, the token is the key (hash stored only)
    GET  /join/{token}          what an external participant's link is for (does not use it up: mail
                                scanners open links)
    POST /join/{token}          join: uses the one-time link, answers the video room
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit import audit
from kit.db import session as db_session
from kit.problems import Problem
from services.meetings import flows, protection, store
from services.meetings.api import deps
from services.meetings.api.deps import BookingAccess, Caller
from services.meetings.api.schemas import FeedTokenOut, JoinOut
from services.meetings.domain import ics, links
from services.meetings.domain.labels import meeting_title
from services.meetings.domain.rules import MeetingRuleError, Reason
from services.meetings.domain.times import local

router = APIRouter(tags=["calendar"])

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


def _video_url(request: Request, record: store.BookingRecord) -> str | None:
    settings = deps.settings_of(request)
    return flows.room_url(settings.link_secret, settings.video_base_url, record)


@router.get("/bookings/{booking_id}.ics", summary="The booking as a calendar file (icalendar)",
            response_class=Response, responses={200: {"content": {"text/calendar": {}}}})
async def booking_ics(request: Request, a: BookingAccess = Depends(deps.visible_booking)) -> Response:
    b = a.booking
    body = ics.booking_to_ics(b, join_url=_video_url(request, a.record))
    return Response(body, media_type=ICS_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="mote-{b.reference}.ics"', "Cache-Control": "private, no-store"})


@router.post("/me/feed", response_model=FeedTokenOut, status_code=201,
             summary="Caseworker: a new calendar feed URL (rotates: the previous URL stops working)")
async def rotate_feed(request: Request, session: AsyncSession = Depends(db_session),
                      c: Caller = Depends(deps.staff)) -> FeedTokenOut:
    if await store.get_caseworker(session, c.actor.sub) is None:
        unit = c.principal.unit or next(iter(sorted(c.actor.units)))
        await store.upsert_caseworker(session, c.actor.sub, unit, c.principal.name or c.actor.sub, deps.clock(request),
                                      c.actor.protected_access)
    settings = deps.settings_of(request)
    token = links.new_token()
    expires = deps.clock(request) + dt.timedelta(days=settings.feed_token_days)
    await store.set_feed_token_hash(session, c.actor.sub, links.hash_token(token), expires)
    audit.record(session, c.principal, "rotate", "calendar_feed", c.actor.sub)
    await session.commit()
    return FeedTokenOut(url=f"{settings.feed_base_url.rstrip('/')}/{token}.ics", expires_at=expires)


@router.delete("/me/feed", status_code=204, summary="Caseworker: revoke the calendar feed URL")
async def revoke_feed(session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.staff)) -> Response:
    await store.set_feed_token_hash(session, c.actor.sub, None, None)
    audit.record(session, c.principal, "revoke", "calendar_feed", c.actor.sub)
    await session.commit()
    return Response(status_code=204)


@router.get("/feeds/{token}.ics", summary="Public with the token: a caseworker's calendar feed (no personal data)",
            response_class=Response, responses={200: {"content": {"text/calendar": {}}}})
async def feed(token: str, request: Request, session: AsyncSession = Depends(db_session)) -> Response:
    now = deps.clock(request)
    holder = await store.caseworker_by_feed_hash(session, links.hash_token(token), now) if len(token) <= 100 else None
    if holder is None:
        raise Problem(404, "feed-not-found", "No such calendar feed",
                      "The link was replaced, revoked or has expired, or never existed.")
    settings = deps.settings_of(request)
    records = await store.staff_bookings(session, holder.id, now - dt.timedelta(days=settings.feed_past_days),
                                         now + dt.timedelta(days=settings.feed_future_days))
    # No client is named in a feed, but a protected client's meeting must not show its place (owner's answer).
    records = await protection.for_display(session, deps.owner(request), records)
    # A protected client's meeting only while the feed holder's clearance is confirmed by their own token lately.
    holder_cleared = holder.cleared(now, deps.clearance_max_age(request))
    records = [r for r in records if holder_cleared or not r.booking.protected_identity]
    body = ics.calendar_feed([r.booking for r in records], holder.name)
    return Response(body, media_type=ICS_MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"})


async def _grant(session: AsyncSession, token: str, *, lock: str | None = None,
                 ) -> tuple[links.JoinGrant, store.BookingRecord]:
    """The link's grant and booking. ``lock="share"``: the booking cannot be cancelled, moved or lose this
    participant while the join is decided (a change holds the row FOR UPDATE; the grant is read after the lock)."""
    grant = await store.grant_by_hash(session, links.hash_token(token)) if len(token) <= 100 else None
    record = await store.get_booking(session, grant.booking_id, lock=lock) if grant else None
    if lock is not None and grant is not None:
        grant = await store.grant_by_hash(session, grant.token_hash)
    if grant is None or record is None:
        raise MeetingRuleError(Reason.JOIN_LINK_INVALID)
    return grant, record


def _join_out(record: store.BookingRecord, video: str | None = None) -> JoinOut:
    b = record.booking
    return JoinOut(title=meeting_title(b.kind, b.channel), start=b.start, end=b.end,
                   start_local=local(b.start).isoformat(), video_url=video)


@router.get("/join/{token}", response_model=JoinOut,
            summary="Public with the token: what the link is for (when; nothing about the client). Not used up")
async def join_info(token: str, session: AsyncSession = Depends(db_session)) -> JoinOut:
    grant, record = await _grant(session, token)
    if grant.used_at is not None or grant.revoked_at is not None or record.booking.is_cancelled:
        raise MeetingRuleError(Reason.JOIN_LINK_INVALID)
    return _join_out(record)


@router.post("/join/{token}", response_model=JoinOut,
             summary="Public with the token: join (from 15 minutes before the start); the link works once")
async def join(token: str, request: Request, session: AsyncSession = Depends(db_session)) -> JoinOut:
    now = deps.clock(request)
    grant, record = await _grant(session, token, lock="share")
    links.check_join(grant, token, record.booking, now).raise_if_denied()
    if not await store.redeem_grant(session, grant.id, now):
        raise MeetingRuleError(Reason.JOIN_LINK_INVALID)  # a racing join won
    await session.commit()
    return _join_out(record, _video_url(request, record))
