"""Calendar export and the public, token-protected endpoints.

    GET  /bookings/{id}.ics     the booking as a calendar file (whoever may see the booking)
    POST /me/feed               a caseworker's feed URL, new token each time (the old one stops working); it
                                expires, and ends when its owner changes unit or loses their clearance
    DELETE /me/feed             revoke it
    GET  /feeds/{token}.ics     the feed; public at the gateway, the token is the key (hash stored only)
    GET  /join/{token}          what an external participant's link is for (does not use it up: mail
                                scanners open links)
    POST /join/{token}          join: uses the one-time link, answers the video room

The use cases: service/calendar.py; the files themselves: domain/ics.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from kit import i18n
from kit.db import session as db_session
from kit.representation import Scope, acts_for
from services.meetings.api import deps
from services.meetings.api.deps import BookingAccess, Caller, Language, Rt
from services.meetings.api.schemas import FeedTokenOut, JoinOut
from services.meetings.domain import ics
from services.meetings.domain.bookings import Booking
from services.meetings.domain.labels import meeting_title
from services.meetings.domain.times import local
from services.meetings.service import calendar, rooms

router = APIRouter(tags=["calendar"])

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


@router.get("/bookings/{booking_id}.ics", summary="The booking as a calendar file (icalendar)",
            response_class=Response, responses={200: {"content": {"text/calendar": {}}}})
@acts_for(Scope.MEETINGS)
async def booking_ics(rt: Rt, lang: Language, a: BookingAccess = Depends(deps.visible_booking)) -> Response:
    b = a.booking
    body = ics.booking_to_ics(b, lang=lang, join_url=rooms.room_url(rt.settings, a.record))
    return Response(body, media_type=ICS_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="mote-{b.reference}.ics"', "Cache-Control": "private, no-store",
        "Content-Language": lang, "Vary": "Accept-Language"})


@router.post("/me/feed", response_model=FeedTokenOut, status_code=201,
             summary="Caseworker: a new calendar feed URL (rotates: the previous URL stops working)")
async def rotate_feed(rt: Rt, session: AsyncSession = Depends(db_session),
                      c: Caller = Depends(deps.staff)) -> FeedTokenOut:
    url, expires = await calendar.rotate_feed(session, rt, c)
    return FeedTokenOut(url=url, expires_at=expires)


@router.delete("/me/feed", status_code=204, summary="Caseworker: revoke the calendar feed URL")
async def revoke_feed(session: AsyncSession = Depends(db_session), c: Caller = Depends(deps.staff)) -> Response:
    await calendar.revoke_feed(session, c)
    return Response(status_code=204)


@router.get("/feeds/{token}.ics", summary="Public with the token: a caseworker's calendar feed (no personal data)",
            response_class=Response, responses={200: {"content": {"text/calendar": {}}}})
async def feed(token: str, rt: Rt, session: AsyncSession = Depends(db_session)) -> Response:
    holder, bookings = await calendar.feed(session, rt, token)
    body = ics.calendar_feed(bookings, holder.name)
    return Response(body, media_type=ICS_MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"})


def _join_out(b: Booking, lang: str, video: str | None = None) -> JoinOut:
    return JoinOut(title=meeting_title(b.kind, b.channel, lang), lang=lang, direction=i18n.direction(lang),
                   start=b.start, end=b.end, start_local=local(b.start).isoformat(), video_url=video)


@router.get("/join/{token}", response_model=JoinOut,
            summary="Public with the token: what the link is for (when; nothing about the client). Not used up")
async def join_info(token: str, lang: Language, session: AsyncSession = Depends(db_session)) -> JoinOut:
    return _join_out((await calendar.join_info(session, token)).booking, lang)


@router.post("/join/{token}", response_model=JoinOut,
             summary="Public with the token: join (from 15 minutes before the start); the link works once")
async def join(token: str, rt: Rt, lang: Language, session: AsyncSession = Depends(db_session)) -> JoinOut:
    record = await calendar.join(session, rt, token)
    return _join_out(record.booking, lang, rooms.room_url(rt.settings, record))
