"""Meeting links: a video room per booking, and one-time join links for people outside the unit.

Tokens are 256-bit random values (secrets.token_urlsafe), unguessable, so a plain SHA-256 is the right
way to keep them: there is no dictionary to try and no need for a slow password hash. The store keeps the
hash only; the token exists in the URL handed out and nowhere else.

    video_meeting_link(base_url)   a video room, <base>/<token>; the video service checks the hash.
    video_room_link(...)           the booking's room: an HMAC of the booking id AND a random per-room secret
                                   kept with the booking, so the URL can be shown again (to the client and
                                   staff in their apps) and ends when the secret is replaced (the booking
                                   moved or its channel changed, a participant who joined removed) or dropped
                                   (the booking cancelled or no longer by video).
    issue_join_link(...)           a link for one external participant (another agency, a parent living
                                   elsewhere), used once. The e-mail carries the URL; the store keeps the
                                   JoinGrant.
    check_join / redeem            the join: right token, not used, not revoked (the participant removed,
                                   the booking cancelled), the booking not cancelled, and now between 15
                                   minutes before the start and the end. The window is read from the
                                   booking, so a moved meeting needs no new link.

Redeem on a POST (a "Join" button), never on the GET of the link: mail scanners (Safe Links and the like)
open links in e-mail and would use up a one-time token.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, replace
from urllib.parse import quote, urlsplit

from services.meetings.domain.bookings import Booking, ExternalRole
from services.meetings.domain.rules import ALLOW, Reason, RuleDecision, deny
from services.meetings.domain.times import to_utc

TOKEN_BYTES = 32
JOIN_EARLY = dt.timedelta(minutes=15)
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def new_token(nbytes: int = TOKEN_BYTES) -> str:
    if nbytes < 16:
        raise ValueError("a link token needs at least 128 bits")
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """What the store keeps: the SHA-256 of the token, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented token with a stored hash."""
    return hmac.compare_digest(hash_token(token), stored_hash)


def _base(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.query or parts.fragment or not parts.hostname:
        raise ValueError("base_url: scheme, host and path only")
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS):
        raise ValueError("base_url: https is required (http only for localhost)")
    return base_url.rstrip("/")


def link_url(base_url: str, token: str) -> str:
    return f"{_base(base_url)}/{quote(token, safe='')}"


@dataclass(frozen=True)
class IssuedLink:
    url: str  # hand it out; do not store or log it
    token_hash: str  # store this


def video_meeting_link(base_url: str, *, token: str | None = None) -> IssuedLink:
    """A new video room for a booking: an opaque random URL under base_url."""
    token = token or new_token()
    return IssuedLink(url=link_url(base_url, token), token_hash=hash_token(token))


def new_room_secret() -> str:
    """A video room's own secret (256 bits), kept with the booking; a new one is a new room."""
    return new_token()


def video_room_link(secret: str, base_url: str, booking_id: uuid.UUID, room_secret: str) -> IssuedLink:
    """The booking's current video room. ``secret``: the service's link key; ``room_secret``: the room's own.
    Deterministic, so the URL can be shown again, and never the same for two rooms of one booking."""
    digest = hmac.new(secret.encode(), f"video:{booking_id}:{room_secret}".encode(), hashlib.sha256).digest()
    token = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return video_meeting_link(base_url, token=token)


@dataclass(frozen=True)
class JoinGrant:
    """What the store keeps for a one-time join link (no name: the role is enough for the meeting)."""

    id: uuid.UUID
    booking_id: uuid.UUID
    role: ExternalRole
    token_hash: str
    used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


def issue_join_link(
    base_url: str,
    booking: Booking,
    role: ExternalRole,
    *,
    token: str | None = None,
) -> tuple[str, JoinGrant]:
    """A one-time link for one external participant: the URL to send, and the grant to store."""
    token = token or new_token()
    grant = JoinGrant(
        id=uuid.uuid4(),
        booking_id=booking.id,
        role=role,
        token_hash=hash_token(token),
    )
    return link_url(base_url, token), grant


def check_join(
    grant: JoinGrant, token: str, booking: Booking, now: dt.datetime, *, early: dt.timedelta = JOIN_EARLY
) -> RuleDecision:
    """May this token join now? A wrong token, a used one, an ended or cancelled meeting: all "not found"."""
    if booking.id != grant.booking_id:
        raise ValueError("the grant belongs to another booking")
    if (not token_matches(token, grant.token_hash) or grant.used_at is not None or grant.revoked_at is not None
            or booking.is_cancelled):
        return deny(Reason.JOIN_LINK_INVALID)
    now = to_utc(now)
    if now < booking.start - early:
        return deny(Reason.JOIN_TOO_EARLY)
    if now >= booking.end:
        return deny(Reason.JOIN_LINK_INVALID)
    return ALLOW


def redeem(grant: JoinGrant, now: dt.datetime) -> JoinGrant:
    """The grant after use. The store updates with "WHERE used_at IS NULL" so two racing joins cannot both win."""
    if grant.used_at is not None:
        raise ValueError("the join link is already used")
    return replace(grant, used_at=to_utc(now))
