"""Calendar feeds and external participants' join links: the token-protected ways in.

    rotate_feed / revoke_feed   a caseworker's feed URL, new token each time (the old one stops working); it
                                expires, and ends when its owner changes unit or loses their clearance
    feed                        the feed's bookings; the token is the key (hash stored only)
    join_info                   what an external participant's link is for (does not use it up: mail scanners
                                open links)
    join                        uses the one-time link, answers the booking (the api shows its video room)
"""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.problems import Problem
from services.meetings.domain import links
from services.meetings.domain.bookings import Booking
from services.meetings.domain.rules import MeetingRuleError, Reason
from services.meetings.service import protection
from services.meetings.service.access import Caller
from services.meetings.service.runtime import Runtime
from services.meetings.store import bookings as bookings_store
from services.meetings.store import caseworkers as caseworkers_store
from services.meetings.store import links as links_store
from services.meetings.store.bookings import BookingRecord
from services.meetings.store.caseworkers import CaseworkerRow


async def rotate_feed(session: AsyncSession, rt: Runtime, c: Caller) -> tuple[str, dt.datetime]:
    """A new calendar feed URL for the caseworker and its expiry (the previous URL stops working)."""
    if await caseworkers_store.get_caseworker(session, c.actor.sub) is None:
        unit = c.principal.unit or next(iter(sorted(c.actor.units)))
        await caseworkers_store.upsert_caseworker(session, c.actor.sub, unit, c.principal.name or c.actor.sub,
                                                  rt.now(), c.actor.protected_access)
    settings = rt.settings
    token = links.new_token()
    expires = rt.now() + dt.timedelta(days=settings.feed_token_days)
    await caseworkers_store.set_feed_token_hash(session, c.actor.sub, links.hash_token(token), expires)
    audit.record(session, c.principal, "rotate", "calendar_feed", c.actor.sub)
    await session.commit()
    return f"{settings.feed_base_url.rstrip('/')}/{token}.ics", expires


async def revoke_feed(session: AsyncSession, c: Caller) -> None:
    await caseworkers_store.set_feed_token_hash(session, c.actor.sub, None, None)
    audit.record(session, c.principal, "revoke", "calendar_feed", c.actor.sub)
    await session.commit()


async def feed(session: AsyncSession, rt: Runtime, token: str) -> tuple[CaseworkerRow, list[Booking]]:
    """The feed holder and the bookings their feed shows (404 once expired, revoked or ended)."""
    now = rt.now()
    holder = await caseworkers_store.caseworker_by_feed_hash(session, links.hash_token(token), now) \
        if len(token) <= 100 else None
    if holder is None:
        raise Problem(404, "feed-not-found", "No such calendar feed",
                      "The link was replaced, revoked or has expired, or never existed.")
    settings = rt.settings
    records = await bookings_store.staff_bookings(session, holder.id,
                                                  now - dt.timedelta(days=settings.feed_past_days),
                                                  now + dt.timedelta(days=settings.feed_future_days))
    # No client is named in a feed, but a protected client's meeting must not show its place (owner's answer).
    records = await protection.for_display(session, rt.owner, records)
    # A protected client's meeting only while the feed holder's clearance is confirmed by their own token lately.
    holder_cleared = holder.cleared(now, rt.clearance_max_age)
    return holder, [r.booking for r in records if holder_cleared or not r.booking.protected_identity]


async def _grant(session: AsyncSession, token: str, *, lock: str | None = None,
                 ) -> tuple[links.JoinGrant, BookingRecord]:
    """The link's grant and booking. ``lock="share"``: the booking cannot be cancelled, moved or lose this
    participant while the join is decided (a change holds the row FOR UPDATE; the grant is read after the lock)."""
    grant = await links_store.grant_by_hash(session, links.hash_token(token)) if len(token) <= 100 else None
    record = await bookings_store.get_booking(session, grant.booking_id, lock=lock) if grant else None
    if lock is not None and grant is not None:
        grant = await links_store.grant_by_hash(session, grant.token_hash)
    if grant is None or record is None:
        raise MeetingRuleError(Reason.JOIN_LINK_INVALID)
    return grant, record


async def join_info(session: AsyncSession, token: str) -> BookingRecord:
    """What the link is for; not used up."""
    grant, record = await _grant(session, token)
    if grant.used_at is not None or grant.revoked_at is not None or record.booking.is_cancelled:
        raise MeetingRuleError(Reason.JOIN_LINK_INVALID)
    return record


async def join(session: AsyncSession, rt: Runtime, token: str) -> BookingRecord:
    """Join (from 15 minutes before the start): the link works once."""
    now = rt.now()
    grant, record = await _grant(session, token, lock="share")
    links.check_join(grant, token, record.booking, now).raise_if_denied()
    if not await links_store.redeem_grant(session, grant.id, now):
        raise MeetingRuleError(Reason.JOIN_LINK_INVALID)  # a racing join won
    await session.commit()
    return record
