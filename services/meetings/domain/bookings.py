"""A booking: what is asked for (BookingRequest) and what is kept (Booking).

The request carries the client's needs: an interpreter (a language code) and accessibility needs (fixed
codes plus a short note). They are for the caseworker who prepares the meeting and never appear in a
reminder, a calendar feed or a log line.

Every booking has an opaque reference ("K7MQ-2XD9"): what calendar entries and reminders show instead of
a name or a personnummer, and what a client can quote on the phone.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.times import to_utc

# Crockford's base32 without I, L, O, U: no letters read as digits, no accidental words.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def new_booking_reference() -> str:
    """8 random characters (40 bits) as XXXX-XXXX. Unique by a database constraint (retry on a clash)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def _reference(value: str) -> str:
    if not REFERENCE_PATTERN.fullmatch(value):
        raise ValueError("not a booking reference (XXXX-XXXX, Crockford base32)")
    return value


BookingReference = Annotated[str, AfterValidator(_reference)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(to_utc)]


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"  # cancelled in time, by the client or staff


class Outcome(StrEnum):
    """What happened, marked by staff: held / no_show after the start, cancelled_late after the cut-off."""

    HELD = "held"
    NO_SHOW = "no_show"
    CANCELLED_LATE = "cancelled_late"


# --- the request -------------------------------------------------------------------------------------------

# A BCP 47 tag, small subset: ISO 639 language (2–3 letters), optional script, optional region.
# "ar", "so", "ti", "prs" (dari), "ckb" (sorani), "swl" (svenskt teckenspråk), "fa-AF", "sr-Latn".
_LANGUAGE_TAG = re.compile(r"^(?P<lang>[a-z]{2,3})(-(?P<script>[A-Z][a-z]{3}))?(-(?P<region>[A-Z]{2}|[0-9]{3}))?$")


def normalise_language_tag(value: str) -> str:
    parts = value.strip().replace("_", "-").split("-")
    if not parts or not parts[0]:
        raise ValueError("a language code is needed, e.g. 'ar' or 'ti'")
    fixed = [parts[0].lower()]
    for part in parts[1:]:
        fixed.append(part.title() if len(part) == 4 else part.upper())
    tag = "-".join(fixed)
    match = _LANGUAGE_TAG.fullmatch(tag)
    if not match:
        raise ValueError("not a language code (ISO 639, e.g. 'ar', 'so', 'fa-AF', 'swl')")
    if match["lang"] in ("sv", "swe"):
        raise ValueError("an interpreter translates from Swedish; choose the client's language")
    return tag


class InterpreterNeed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    language: str = Field(max_length=20, examples=["ar", "ti", "swl"])

    @field_validator("language")
    @classmethod
    def _tag(cls, value: str) -> str:
        return normalise_language_tag(value)


class AccessibilityNeed(StrEnum):
    STEP_FREE_ACCESS = "step_free_access"  # rullstol, rollator
    HEARING_LOOP = "hearing_loop"  # hörslinga
    PLAIN_LANGUAGE = "plain_language"  # lättläst / enkel svenska
    EXTRA_TIME = "extra_time"
    SCREEN_READER = "screen_reader"  # video: an accessible client
    OTHER = "other"  # described in accessibility_note


class ExternalRole(StrEnum):
    AGENCY = "agency"  # Arbetsförmedlingen, Försäkringskassan, vården, …
    PARENT = "parent"  # a parent living elsewhere
    SUPPORT_PERSON = "support_person"  # god man, stödperson
    OTHER = "other"


class ExternalParticipant(BaseModel):
    """Someone outside the unit who joins (remotely) with a one-time link. Only their role and organisation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: ExternalRole
    organisation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None


Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class BookingRequest(BaseModel):
    """A request to book: by a client for themselves, or by staff for a client (phone bookings, no e-ID)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meeting_type_id: uuid.UUID
    caseworker_id: str = Field(min_length=1, max_length=100)
    start: UtcDatetime
    channel: Channel | None = None  # None: the type's default channel
    client_id: str | None = Field(default=None, max_length=100)  # staff bookings name the client; clients omit it
    interpreter: InterpreterNeed | None = None
    accessibility: frozenset[AccessibilityNeed] = frozenset()
    accessibility_note: Note | None = None
    external_participants: tuple[ExternalParticipant, ...] = Field(default=(), max_length=6)

    @model_validator(mode="after")
    def _note(self) -> Self:
        if AccessibilityNeed.OTHER in self.accessibility and self.accessibility_note is None:
            raise ValueError("accessibility_note: describe the need when 'other' is chosen")
        return self


# --- what is kept ------------------------------------------------------------------------------------------

class Booking(BaseModel):
    """A booking as the domain sees it (the store's row, without the client's needs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID
    reference: BookingReference
    unit_id: str
    caseworker_id: str
    client_id: str | None
    meeting_type_id: uuid.UUID
    kind: MeetingKind
    channel: Channel
    start: UtcDatetime
    end: UtcDatetime
    status: BookingStatus = BookingStatus.BOOKED
    outcome: Outcome | None = None
    protected_identity: bool = False  # skyddade personuppgifter: no location anywhere outside the case
    location: str | None = None  # the office address for in_person meetings; never a home address
    version: int = Field(default=1, ge=1)  # bumped on every change (ICS SEQUENCE, ETag)
    updated_at: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end: must be after start")
        if self.status is BookingStatus.CANCELLED and self.outcome is not None:
            raise ValueError("outcome: a booking cancelled in time has no outcome")
        if self.kind is MeetingKind.HOME_VISIT and self.location is not None:
            raise ValueError("location: a home visit never carries the client's address")
        return self

    @property
    def is_open(self) -> bool:
        """Booked and nothing marked yet: it can still be moved, cancelled or get a new channel."""
        return self.status is BookingStatus.BOOKED and self.outcome is None

    @property
    def is_cancelled(self) -> bool:
        return self.status is BookingStatus.CANCELLED or self.outcome is Outcome.CANCELLED_LATE

    @property
    def shareable_location(self) -> str | None:
        """The place to show outside the case (reminder, calendar): the office of an in-person meeting.

        None for a client with protected identity (where they will be, and when, must not leak), for home
        visits (the client's address) and for phone and video meetings.
        """
        if self.protected_identity or self.kind is MeetingKind.HOME_VISIT or self.channel is not Channel.IN_PERSON:
            return None
        return self.location

    @property
    def minutes(self) -> int:
        return int((self.end - self.start) / dt.timedelta(minutes=1))
