"""Tables and queries of the meetings service (migration 0002 is the source of truth for the schema).

Functions take the session first and never commit: the route commits once, so a booking, its staff rows (the
double-booking guard), its reminders, its outbox event and its audit entry are kept together or not at all.
Rows come back as the domain's own types (MeetingType, Availability, Booking) wrapped with what only the
store knows (the client's personnummer and needs, the staff and external participants).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.meetings.domain.availability import Absence, Availability, ExtraHours, Interval, WeeklyHours
from services.meetings.domain.bookings import (
    AccessibilityNeed,
    Booking,
    BookingStatus,
    ExternalRole,
    Outcome,
)
from services.meetings.domain.links import JoinGrant
from services.meetings.domain.meeting_types import Channel, MeetingKind, MeetingType, UnitMeetingSettings
from services.meetings.domain.reminders import DueReminder
from services.meetings.domain.rules import ClientRelation
from services.meetings.domain.stats import MeetingRecord

EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error raised through SQLAlchemy's asyncpg adapter (None if there is none)."""
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None), exc.__cause__):
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


def is_booking_conflict(exc: DBAPIError) -> bool:
    """Another booking holds (or is taking) the time.

    23P01: the exclusion constraint refused the overlap. 40P01: two transactions wrote overlapping ranges at
    the same moment; each waits for the other's verdict in the constraint check, PostgreSQL aborts one of
    them, and the other keeps the time. Both mean "taken" for the caller whose transaction was refused.
    """
    return sqlstate(exc) in (EXCLUSION_VIOLATION, DEADLOCK_DETECTED)


# --- unit settings and meeting types ------------------------------------------------------------------------

async def get_unit_settings(session: AsyncSession, unit_id: str) -> UnitMeetingSettings:
    row = (await session.execute(text(
        "SELECT unit_id, client_change_cutoff_hours, min_notice_hours, reminder_offsets_minutes, key_figures "
        "FROM unit_settings WHERE unit_id = :u"), {"u": unit_id})).mappings().first()
    if row is None:
        return UnitMeetingSettings(unit_id=unit_id)  # the defaults until the unit sets its own
    return UnitMeetingSettings(
        unit_id=row["unit_id"], client_change_cutoff_hours=row["client_change_cutoff_hours"],
        min_notice_hours=row["min_notice_hours"], reminder_offsets_minutes=tuple(row["reminder_offsets_minutes"]),
        key_figures=tuple(row["key_figures"]) if row["key_figures"] is not None else None)


async def put_unit_settings(session: AsyncSession, settings: UnitMeetingSettings, by: str, now: dt.datetime) -> None:
    await session.execute(text(
        "INSERT INTO unit_settings (unit_id, client_change_cutoff_hours, min_notice_hours, reminder_offsets_minutes, "
        "key_figures, updated_at, updated_by) VALUES (:u, :c, :m, :r, :k, :now, :by) "
        "ON CONFLICT (unit_id) DO UPDATE SET client_change_cutoff_hours = EXCLUDED.client_change_cutoff_hours, "
        "min_notice_hours = EXCLUDED.min_notice_hours, reminder_offsets_minutes = EXCLUDED.reminder_offsets_minutes, "
        "key_figures = EXCLUDED.key_figures, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by"),
        {"u": settings.unit_id, "c": settings.client_change_cutoff_hours, "m": settings.min_notice_hours,
         "r": list(settings.reminder_offsets_minutes),
         "k": list(settings.key_figures) if settings.key_figures is not None else None, "now": now, "by": by})


_TYPE_COLUMNS = ("id, unit_id, name, kind, duration_minutes, buffer_before_minutes, buffer_after_minutes, channels, "
                 "office_address, client_self_bookable, client_change_cutoff_hours, active")


def _meeting_type(row: Any) -> MeetingType:
    values = dict(row)
    values["channels"] = frozenset(Channel(c) for c in values["channels"])
    return MeetingType(**values)


def _type_params(meeting_type: MeetingType) -> dict[str, Any]:
    values = meeting_type.model_dump()
    values["kind"] = meeting_type.kind.value
    values["channels"] = sorted(c.value for c in meeting_type.channels)
    return values


async def insert_meeting_type(session: AsyncSession, meeting_type: MeetingType) -> None:
    await session.execute(text(
        f"INSERT INTO meeting_types ({_TYPE_COLUMNS}) VALUES (:id, :unit_id, :name, :kind, :duration_minutes, "  # noqa: S608 - constant
        ":buffer_before_minutes, :buffer_after_minutes, :channels, :office_address, :client_self_bookable, "
        ":client_change_cutoff_hours, :active)"), _type_params(meeting_type))


async def update_meeting_type(session: AsyncSession, meeting_type: MeetingType) -> None:
    """Existing bookings keep their blocked ranges (copied at booking time): a new buffer moves nothing."""
    await session.execute(text(
        "UPDATE meeting_types SET name = :name, kind = :kind, duration_minutes = :duration_minutes, "
        "buffer_before_minutes = :buffer_before_minutes, buffer_after_minutes = :buffer_after_minutes, "
        "channels = :channels, office_address = :office_address, client_self_bookable = :client_self_bookable, "
        "client_change_cutoff_hours = :client_change_cutoff_hours, active = :active WHERE id = :id"),
        _type_params(meeting_type))


async def get_meeting_type(session: AsyncSession, type_id: uuid.UUID) -> MeetingType | None:
    row = (await session.execute(text(f"SELECT {_TYPE_COLUMNS} FROM meeting_types WHERE id = :id"),  # noqa: S608
                                 {"id": type_id})).mappings().first()
    return _meeting_type(row) if row else None


async def list_meeting_types(session: AsyncSession, unit_id: str) -> list[MeetingType]:
    rows = (await session.execute(text(
        f"SELECT {_TYPE_COLUMNS} FROM meeting_types WHERE unit_id = :u ORDER BY name, id"),  # noqa: S608 - constant
        {"u": unit_id})).mappings().all()
    return [_meeting_type(r) for r in rows]


# --- caseworkers and availability ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseworkerRow:
    id: str
    unit_id: str
    name: str
    protected_access: bool = False
    clearance_seen_at: dt.datetime | None = None  # when their own token last said so

    def cleared(self, now: dt.datetime, max_age: dt.timedelta) -> bool:
        """Cleared, as far as a decision about them by someone else may rely on: confirmed by their token lately."""
        return self.protected_access and self.clearance_seen_at is not None and self.clearance_seen_at >= now - max_age


async def upsert_caseworker(session: AsyncSession, caseworker_id: str, unit_id: str, name: str,
                            now: dt.datetime, protected_access: bool = False) -> None:
    """Known from their own token: unit, name and clearance for protected identity, refreshed on each use."""
    await session.execute(text(
        "INSERT INTO caseworkers (id, unit_id, name, updated_at, protected_access, clearance_seen_at) "
        "VALUES (:id, :u, :n, :now, :pa, :now) "
        "ON CONFLICT (id) DO UPDATE SET unit_id = EXCLUDED.unit_id, name = EXCLUDED.name, "
        "updated_at = EXCLUDED.updated_at, protected_access = EXCLUDED.protected_access, "
        "clearance_seen_at = EXCLUDED.clearance_seen_at, "
        # a feed made under another unit or a clearance now gone stops working
        "feed_token_hash = CASE WHEN caseworkers.unit_id <> EXCLUDED.unit_id OR (caseworkers.protected_access "
        "AND NOT EXCLUDED.protected_access) THEN NULL ELSE caseworkers.feed_token_hash END"),
        {"id": caseworker_id, "u": unit_id, "n": name, "now": now, "pa": protected_access})


async def refresh_caseworker(session: AsyncSession, caseworker_id: str, units: Iterable[str], home_unit: str | None,
                             protected_access: bool, now: dt.datetime, restamp_after: dt.timedelta) -> None:
    """What the caseworker's current token says, kept for decisions others make about them (no-op when unchanged
    and stamped within ``restamp_after``). A unit they no longer belong to is replaced by their token's unit;
    a changed unit or a lost clearance also ends their calendar feed (it was made under what they had)."""
    await session.execute(text(
        "UPDATE caseworkers SET protected_access = :pa, clearance_seen_at = :now, "
        "unit_id = CASE WHEN unit_id = ANY(CAST(:units AS text[])) THEN unit_id ELSE COALESCE(:home, unit_id) END, "
        "feed_token_hash = CASE WHEN NOT (unit_id = ANY(CAST(:units AS text[]))) OR (protected_access AND NOT :pa) "
        "THEN NULL ELSE feed_token_hash END "
        "WHERE id = :id AND (protected_access <> :pa OR NOT (unit_id = ANY(CAST(:units AS text[]))) "
        # a stamp from the future (another replica's clock ahead of ours) is renewed too
        "OR clearance_seen_at IS NULL OR clearance_seen_at < :restamp OR clearance_seen_at > :now)"),
        {"id": caseworker_id, "units": sorted(units), "home": home_unit, "pa": protected_access, "now": now,
         "restamp": now - restamp_after})


_CASEWORKER_COLUMNS = "id, unit_id, name, protected_access, clearance_seen_at"


def _caseworker(row: Any) -> CaseworkerRow:
    return CaseworkerRow(row.id, row.unit_id, row.name, row.protected_access, row.clearance_seen_at)


async def get_caseworker(session: AsyncSession, caseworker_id: str) -> CaseworkerRow | None:
    row = (await session.execute(text(f"SELECT {_CASEWORKER_COLUMNS} FROM caseworkers WHERE id = :id"),  # noqa: S608
                                 {"id": caseworker_id})).first()
    return _caseworker(row) if row else None


async def cleared_caseworker_ids(session: AsyncSession, unit_id: str, since: dt.datetime) -> frozenset[str]:
    """The unit's caseworkers cleared for clients with protected identity, confirmed by their own token since."""
    rows = (await session.execute(text(
        "SELECT id FROM caseworkers WHERE unit_id = :u AND protected_access AND clearance_seen_at >= :since"),
        {"u": unit_id, "since": since})).all()
    return frozenset(r.id for r in rows)


async def unit_caseworker_ids(session: AsyncSession, unit_id: str) -> list[str]:
    rows = (await session.execute(text("SELECT id FROM caseworkers WHERE unit_id = :u ORDER BY id"),
                                  {"u": unit_id})).all()
    return [r.id for r in rows]


async def replace_weekly_hours(session: AsyncSession, caseworker_id: str, hours: Sequence[WeeklyHours]) -> None:
    await session.execute(text("DELETE FROM weekly_hours WHERE caseworker_id = :c"), {"c": caseworker_id})
    for h in hours:
        await session.execute(text(
            "INSERT INTO weekly_hours (caseworker_id, weekday, start_time, end_time, valid_from, valid_to) "
            "VALUES (:c, :w, :s, :e, :f, :t)"),
            {"c": caseworker_id, "w": h.weekday, "s": h.start, "e": h.end, "f": h.valid_from, "t": h.valid_to})


async def get_weekly_hours(session: AsyncSession, caseworker_id: str) -> list[WeeklyHours]:
    rows = (await session.execute(text(
        "SELECT weekday, start_time, end_time, valid_from, valid_to FROM weekly_hours WHERE caseworker_id = :c "
        "ORDER BY weekday, start_time"), {"c": caseworker_id})).all()
    return [WeeklyHours(weekday=r.weekday, start=r.start_time, end=r.end_time, valid_from=r.valid_from,
                        valid_to=r.valid_to) for r in rows]


@dataclass(frozen=True)
class ExceptionRow:
    id: uuid.UUID
    caseworker_id: str
    kind: str  # absence | extra
    start: dt.datetime
    end: dt.datetime


async def add_exception(session: AsyncSession, caseworker_id: str, kind: str, start: dt.datetime,
                        end: dt.datetime) -> ExceptionRow:
    row = ExceptionRow(uuid.uuid4(), caseworker_id, kind, start, end)
    await session.execute(text(
        "INSERT INTO availability_exceptions (id, caseworker_id, kind, start_at, end_at) VALUES (:id, :c, :k, :s, :e)"),
        {"id": row.id, "c": caseworker_id, "k": kind, "s": start, "e": end})
    return row


async def delete_exception(session: AsyncSession, caseworker_id: str, exception_id: uuid.UUID) -> bool:
    result = await session.execute(text(
        "DELETE FROM availability_exceptions WHERE id = :id AND caseworker_id = :c RETURNING id"),
        {"id": exception_id, "c": caseworker_id})
    return result.first() is not None


async def list_exceptions(session: AsyncSession, caseworker_id: str, since: dt.datetime) -> list[ExceptionRow]:
    rows = (await session.execute(text(
        "SELECT id, caseworker_id, kind, start_at, end_at FROM availability_exceptions "
        "WHERE caseworker_id = :c AND end_at > :since ORDER BY start_at"), {"c": caseworker_id, "since": since})).all()
    return [ExceptionRow(r.id, r.caseworker_id, r.kind, r.start_at, r.end_at) for r in rows]


async def availabilities(session: AsyncSession, caseworker_ids: Sequence[str], start: dt.datetime,
                         end: dt.datetime) -> dict[str, Availability]:
    """Each caseworker's weekly hours plus the absences and extra hours touching [start, end)."""
    ids = list(caseworker_ids)
    weekly: dict[str, list[WeeklyHours]] = defaultdict(list)
    absences: dict[str, list[Absence]] = defaultdict(list)
    extra: dict[str, list[ExtraHours]] = defaultdict(list)
    for r in (await session.execute(text(
            "SELECT caseworker_id, weekday, start_time, end_time, valid_from, valid_to FROM weekly_hours "
            "WHERE caseworker_id = ANY(CAST(:ids AS text[]))"), {"ids": ids})).all():
        weekly[r.caseworker_id].append(WeeklyHours(weekday=r.weekday, start=r.start_time, end=r.end_time,
                                                   valid_from=r.valid_from, valid_to=r.valid_to))
    for r in (await session.execute(text(
            "SELECT caseworker_id, kind, start_at, end_at FROM availability_exceptions "
            "WHERE caseworker_id = ANY(CAST(:ids AS text[])) AND end_at > :s AND start_at < :e"),
            {"ids": ids, "s": start, "e": end})).all():
        if r.kind == "absence":
            absences[r.caseworker_id].append(Absence(start=r.start_at, end=r.end_at))
        else:
            extra[r.caseworker_id].append(ExtraHours(start=r.start_at, end=r.end_at))
    return {cid: Availability(caseworker_id=cid, weekly=tuple(weekly[cid]), absences=tuple(absences[cid]),
                              extra=tuple(extra[cid])) for cid in ids}


async def busy_intervals(session: AsyncSession, caseworker_ids: Sequence[str], start: dt.datetime, end: dt.datetime,
                         *, exclude_booking: uuid.UUID | None = None) -> dict[str, list[Interval]]:
    """The blocked ranges of active bookings: exactly the rows the exclusion constraint compares."""
    rows = (await session.execute(text(
        "SELECT caseworker_id, blocked_start, blocked_end FROM booking_staff WHERE active "
        "AND caseworker_id = ANY(CAST(:ids AS text[])) AND blocked_end > :s AND blocked_start < :e "
        "AND (CAST(:x AS uuid) IS NULL OR booking_id <> CAST(:x AS uuid))"),
        {"ids": list(caseworker_ids), "s": start, "e": end, "x": exclude_booking})).all()
    busy: dict[str, list[Interval]] = defaultdict(list)
    for r in rows:
        busy[r.caseworker_id].append((r.blocked_start, r.blocked_end))
    return busy


async def set_feed_token_hash(session: AsyncSession, caseworker_id: str, token_hash: str | None,
                              expires_at: dt.datetime | None) -> None:
    """A new feed token (the previous one stops working), or none (revoked)."""
    await session.execute(text(
        "UPDATE caseworkers SET feed_token_hash = :h, feed_token_expires_at = :x WHERE id = :id"),
        {"h": token_hash, "x": expires_at, "id": caseworker_id})


async def caseworker_by_feed_hash(session: AsyncSession, token_hash: str, now: dt.datetime) -> CaseworkerRow | None:
    """The owner of a feed token that has not expired."""
    row = (await session.execute(text(
        f"SELECT {_CASEWORKER_COLUMNS} FROM caseworkers WHERE feed_token_hash = :h "  # noqa: S608 - constant
        "AND feed_token_expires_at > :now"), {"h": token_hash, "now": now})).first()
    return _caseworker(row) if row else None


# --- clients ------------------------------------------------------------------------------------------------

# protected_clients: the clients whose OWN token claimed protected identity (it may only tighten the owner's
# answer). Not the source of truth: that is the applications service (protection.py).

async def is_protected(session: AsyncSession, personal_number: str) -> bool:
    """Whether the client's own token once claimed protected identity."""
    return bool((await session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM protected_clients WHERE personal_number = :p)"),
        {"p": personal_number})).scalar_one())


async def claimed_among(session: AsyncSession, personal_numbers: Iterable[str]) -> frozenset[str]:
    rows = (await session.execute(text(
        "SELECT personal_number FROM protected_clients WHERE personal_number = ANY(CAST(:p AS text[]))"),
        {"p": sorted(set(personal_numbers))})).all()
    return frozenset(r.personal_number for r in rows)


async def remember_claim(session: AsyncSession, personal_number: str) -> None:
    await session.execute(text("INSERT INTO protected_clients (personal_number) VALUES (:p) ON CONFLICT DO NOTHING"),
                          {"p": personal_number})


async def set_booking_protection(session: AsyncSession, booking_id: uuid.UUID, protected: bool) -> None:
    """The booking's copy of its client's status (what its events say), brought in line on a change."""
    await session.execute(text("UPDATE bookings SET protected_identity = :p WHERE id = :id"),
                          {"p": protected, "id": booking_id})


async def client_relation(session: AsyncSession, personal_number: str, unit_id: str) -> ClientRelation:
    """The client's own caseworkers in the unit: the leads of their bookings there that were held or are still
    booked (this service has no case data; the first meeting decides who the client goes on meeting)."""
    rows = (await session.execute(text(
        "SELECT DISTINCT caseworker_id FROM bookings WHERE client_personal_number = :p AND unit_id = :u "
        "AND status = 'booked' AND (outcome IS NULL OR outcome = 'held')"),
        {"p": personal_number, "u": unit_id})).all()
    own = frozenset(r.caseworker_id for r in rows)
    return ClientRelation(own_caseworker_ids=own, has_met_unit=bool(own),
                          protected_identity=await is_protected(session, personal_number))


# --- bookings -----------------------------------------------------------------------------------------------

async def lock_caseworkers(session: AsyncSession, caseworker_ids: Iterable[str]) -> None:
    """Queue writers of the same caseworkers' time, until this transaction ends.

    Without this, two transactions writing overlapping ranges both insert, each finds the other's row in
    the exclusion check, each waits for the other: a deadlock that PostgreSQL breaks only after
    deadlock_timeout (1 s), and with many racers in chains of such seconds. With it, the second writer waits
    for the first to commit and is then refused at once (23P01). Locks are taken in sorted order, so two
    transactions locking several caseworkers cannot deadlock on them either. The constraint still decides.
    """
    for caseworker_id in sorted(set(caseworker_ids)):
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                              {"k": f"meetings:caseworker:{caseworker_id}"})


@dataclass(frozen=True)
class StaffMember:
    caseworker_id: str
    role: str


@dataclass(frozen=True)
class ExternalRow:
    id: uuid.UUID
    role: ExternalRole
    organisation: str | None
    used: bool


@dataclass
class BookingRecord:
    """A booking as kept: the domain's Booking plus what only the case should see."""

    booking: Booking
    interpreter_language: str | None
    accessibility: frozenset[AccessibilityNeed]
    accessibility_note: str | None
    booked_by: str
    booked_by_staff: bool
    change_reason: str | None
    created_at: dt.datetime
    staff: list[StaffMember] = field(default_factory=list)
    externals: list[ExternalRow] = field(default_factory=list)  # the invited who have not been removed
    video_room: str | None = field(default=None, repr=False)  # the current video room's secret (links.py)

    @property
    def id(self) -> uuid.UUID:
        return self.booking.id

    @property
    def staff_ids(self) -> frozenset[str]:
        return frozenset(s.caseworker_id for s in self.staff)


_BOOKING_COLUMNS = ("b.id, b.reference, b.unit_id, b.caseworker_id, b.client_personal_number, b.meeting_type_id, "
                    "b.kind, b.channel, b.start_at, b.end_at, b.status, b.outcome, b.protected_identity, b.location, "
                    "b.version, b.updated_at, b.interpreter_language, b.accessibility, b.accessibility_note, "
                    "b.booked_by, b.booked_by_staff, b.change_reason, b.created_at, b.video_room")


def _booking(row: Any) -> Booking:
    return Booking(
        id=row.id, reference=row.reference, unit_id=row.unit_id, caseworker_id=row.caseworker_id,
        client_id=row.client_personal_number, meeting_type_id=row.meeting_type_id, kind=MeetingKind(row.kind),
        channel=Channel(row.channel), start=row.start_at, end=row.end_at, status=BookingStatus(row.status),
        outcome=Outcome(row.outcome) if row.outcome else None, protected_identity=row.protected_identity,
        location=row.location, version=row.version, updated_at=row.updated_at)


def _record(row: Any) -> BookingRecord:
    return BookingRecord(
        booking=_booking(row), interpreter_language=row.interpreter_language,
        accessibility=frozenset(AccessibilityNeed(a) for a in row.accessibility),
        accessibility_note=row.accessibility_note, booked_by=row.booked_by, booked_by_staff=row.booked_by_staff,
        change_reason=row.change_reason, created_at=row.created_at, video_room=row.video_room)


async def _with_people(session: AsyncSession, records: list[BookingRecord]) -> list[BookingRecord]:
    if not records:
        return records
    by_id = {r.id: r for r in records}
    ids = list(by_id)
    for s in (await session.execute(text(
            "SELECT booking_id, caseworker_id, role FROM booking_staff WHERE booking_id = ANY(CAST(:ids AS uuid[])) "
            "ORDER BY role, caseworker_id"), {"ids": ids})).all():
        by_id[s.booking_id].staff.append(StaffMember(s.caseworker_id, s.role))
    for g in (await session.execute(text(
            "SELECT id, booking_id, role, organisation, used_at FROM join_grants "
            "WHERE booking_id = ANY(CAST(:ids AS uuid[])) AND revoked_at IS NULL ORDER BY created_at, id"),
            {"ids": ids})).all():
        by_id[g.booking_id].externals.append(ExternalRow(g.id, ExternalRole(g.role), g.organisation,
                                                         g.used_at is not None))
    return records


async def get_booking(session: AsyncSession, booking_id: uuid.UUID, *, lock: str | None = None) -> BookingRecord | None:
    """``lock="update"``: the row stays locked until the transaction ends, so a change decided on what was read
    cannot race another change of the same booking (cancel vs reschedule). ``lock="share"``: it must not change
    under a reader that acts on it (a join)."""
    suffix = {None: "", "update": " FOR UPDATE", "share": " FOR SHARE"}[lock]
    row = (await session.execute(text(f"SELECT {_BOOKING_COLUMNS} FROM bookings b WHERE b.id = :id{suffix}"),  # noqa: S608
                                 {"id": booking_id})).first()
    if row is None:
        return None
    return (await _with_people(session, [_record(row)]))[0]


async def insert_booking(session: AsyncSession, record: BookingRecord, blocked: Interval,
                         video_link_hash: str | None, *, blocks_time: bool = True) -> None:
    """``record.video_room`` and ``video_link_hash``: the booking's video room (its secret and its URL's hash)."""
    """The booking and its lead's staff row. An overlap with another active booking of the lead raises
    DBAPIError with SQLSTATE 23P01 or 40P01 (is_booking_conflict) when the row is written.
    ``blocks_time=False``: the staff row is written inactive (a contact that already happened)."""
    b = record.booking
    if blocks_time:
        await lock_caseworkers(session, [b.caseworker_id])
    await session.execute(text(
        "INSERT INTO bookings (id, reference, unit_id, caseworker_id, client_personal_number, meeting_type_id, kind, "
        "channel, start_at, end_at, blocked_start, blocked_end, status, protected_identity, location, "
        "interpreter_language, accessibility, accessibility_note, video_link_hash, video_room, booked_by, "
        "booked_by_staff, version, created_at, updated_at, outcome) VALUES (:id, :ref, :unit, :cw, :client, :type, "
        ":kind, :channel, :start, :end, :bs, :be, 'booked', :protected, :location, :lang, :acc, :note, :video, :room, "
        ":by, :by_staff, 1, :now, :now, :outcome)"),
        {"id": b.id, "ref": b.reference, "unit": b.unit_id, "cw": b.caseworker_id, "client": b.client_id,
         "type": b.meeting_type_id, "kind": b.kind.value, "channel": b.channel.value, "start": b.start, "end": b.end,
         "bs": blocked[0], "be": blocked[1], "protected": b.protected_identity, "location": b.location,
         "lang": record.interpreter_language, "acc": sorted(a.value for a in record.accessibility),
         "note": record.accessibility_note, "video": video_link_hash, "room": record.video_room, "by": record.booked_by,
         "by_staff": record.booked_by_staff, "now": b.updated_at, "outcome": b.outcome.value if b.outcome else None})
    await add_staff(session, b.id, b.caseworker_id, "lead", blocked, active=blocks_time)


async def insert_contact(session: AsyncSession, record: BookingRecord) -> None:
    """A contact that already happened, kept as a held booking. Its staff row is written inactive (it never
    enters the exclusion check): past time blocks nothing, and a drop-in during a no-show or an overrunning
    meeting must not be refused as a double booking (it used to be written active first: a 500 on overlap)."""
    b = record.booking
    await insert_booking(session, record, (b.start, b.end), None, blocks_time=False)


async def add_staff(session: AsyncSession, booking_id: uuid.UUID, caseworker_id: str, role: str,
                    blocked: Interval, *, active: bool = True) -> None:
    if active:
        await lock_caseworkers(session, [caseworker_id])
    await session.execute(text(
        "INSERT INTO booking_staff (booking_id, caseworker_id, role, blocked_start, blocked_end, active) "
        "VALUES (:b, :c, :r, :s, :e, :a)"),
        {"b": booking_id, "c": caseworker_id, "r": role, "s": blocked[0], "e": blocked[1], "a": active})


async def blocked_range_of(session: AsyncSession, booking_id: uuid.UUID) -> Interval:
    row = (await session.execute(text("SELECT blocked_start, blocked_end FROM bookings WHERE id = :id"),
                                 {"id": booking_id})).one()
    return row.blocked_start, row.blocked_end


async def move_booking(session: AsyncSession, booking_id: uuid.UUID, start: dt.datetime, end: dt.datetime,
                       blocked: Interval, reason: str | None, now: dt.datetime) -> None:
    """New times for the booking and every staff row (the exclusion constraint checks them all)."""
    staff = (await session.execute(text("SELECT caseworker_id FROM booking_staff WHERE booking_id = :id"),
                                   {"id": booking_id})).scalars().all()
    await lock_caseworkers(session, staff)
    await session.execute(text(
        "UPDATE bookings SET start_at = :s, end_at = :e, blocked_start = :bs, blocked_end = :be, "
        "change_reason = COALESCE(:r, change_reason), version = version + 1, updated_at = :now WHERE id = :id"),
        {"s": start, "e": end, "bs": blocked[0], "be": blocked[1], "r": reason, "now": now, "id": booking_id})
    await session.execute(text(
        "UPDATE booking_staff SET blocked_start = :bs, blocked_end = :be WHERE booking_id = :id"),
        {"bs": blocked[0], "be": blocked[1], "id": booking_id})


async def cancel_booking(session: AsyncSession, booking_id: uuid.UUID, reason: str | None, now: dt.datetime) -> None:
    """Frees the time, drops the reminders, ends the video room and withdraws every join link."""
    await session.execute(text(
        "UPDATE bookings SET status = 'cancelled', change_reason = COALESCE(:r, change_reason), "
        "video_room = NULL, video_link_hash = NULL, version = version + 1, updated_at = :now WHERE id = :id"),
        {"r": reason, "now": now, "id": booking_id})
    await session.execute(text("UPDATE booking_staff SET active = false WHERE booking_id = :id"), {"id": booking_id})
    await drop_unsent_reminders(session, booking_id)
    await revoke_grants(session, booking_id, now)


async def set_channel(session: AsyncSession, booking_id: uuid.UUID, channel: Channel, location: str | None,
                      room: tuple[str, str] | None, now: dt.datetime) -> None:
    """``room``: the new video room (its secret, its URL's hash); None ends the room (not by video)."""
    await session.execute(text(
        "UPDATE bookings SET channel = :c, location = :l, video_room = :room, video_link_hash = :v, "
        "version = version + 1, updated_at = :now WHERE id = :id"),
        {"c": channel.value, "l": location, "room": room[0] if room else None, "v": room[1] if room else None,
         "now": now, "id": booking_id})


async def set_video_room(session: AsyncSession, booking_id: uuid.UUID, room: tuple[str, str] | None) -> None:
    """A new room for the booking (or none): whoever had the old URL is out."""
    await session.execute(text("UPDATE bookings SET video_room = :room, video_link_hash = :v WHERE id = :id"),
                          {"room": room[0] if room else None, "v": room[1] if room else None, "id": booking_id})


async def set_outcome(session: AsyncSession, booking_id: uuid.UUID, outcome: Outcome, now: dt.datetime) -> None:
    """A late cancellation frees the time (its staff rows stop counting); a corrected outcome takes it back,
    which the exclusion constraint refuses if someone else has booked it since."""
    if outcome is not Outcome.CANCELLED_LATE:
        staff = (await session.execute(text("SELECT caseworker_id FROM booking_staff WHERE booking_id = :id"),
                                       {"id": booking_id})).scalars().all()
        await lock_caseworkers(session, staff)
    await session.execute(text(
        "UPDATE bookings SET outcome = :o, version = version + 1, updated_at = :now WHERE id = :id"),
        {"o": outcome.value, "now": now, "id": booking_id})
    await session.execute(text("UPDATE booking_staff SET active = :a WHERE booking_id = :id"),
                          {"a": outcome is not Outcome.CANCELLED_LATE, "id": booking_id})
    await drop_unsent_reminders(session, booking_id)
    if outcome is Outcome.CANCELLED_LATE:  # it did not take place: no room, no links
        await set_video_room(session, booking_id, None)
        await revoke_grants(session, booking_id, now)


async def touch_booking(session: AsyncSession, booking_id: uuid.UUID, now: dt.datetime) -> None:
    await session.execute(text("UPDATE bookings SET version = version + 1, updated_at = :now WHERE id = :id"),
                          {"now": now, "id": booking_id})


async def _records(session: AsyncSession, where: str, params: dict[str, Any]) -> list[BookingRecord]:
    rows = (await session.execute(text(
        # `where` is one of the constant conditions below, never input
        f"SELECT {_BOOKING_COLUMNS} FROM bookings b WHERE {where} ORDER BY b.start_at, b.id"),  # noqa: S608
        params)).all()
    return await _with_people(session, [_record(r) for r in rows])


async def client_bookings(session: AsyncSession, personal_number: str, since: dt.datetime) -> list[BookingRecord]:
    return await _records(session, "b.client_personal_number = :p AND b.end_at > :since",
                          {"p": personal_number, "since": since})


async def staff_bookings(session: AsyncSession, caseworker_id: str, start: dt.datetime,
                         end: dt.datetime) -> list[BookingRecord]:
    return await _records(session, "b.id IN (SELECT booking_id FROM booking_staff WHERE caseworker_id = :c) "
                          "AND b.end_at > :s AND b.start_at < :e", {"c": caseworker_id, "s": start, "e": end})


async def unit_bookings(session: AsyncSession, unit_id: str, start: dt.datetime,
                        end: dt.datetime) -> list[BookingRecord]:
    return await _records(session, "b.unit_id = :u AND b.end_at > :s AND b.start_at < :e",
                          {"u": unit_id, "s": start, "e": end})


async def meeting_records(session: AsyncSession, unit_id: str, start: dt.datetime, end: dt.datetime,
                          caseworker_id: str | None = None) -> list[MeetingRecord]:
    """What the statistics needs, no client at all."""
    rows = (await session.execute(text(
        "SELECT unit_id, caseworker_id, kind, channel, start_at, end_at, status, outcome FROM bookings "
        "WHERE unit_id = :u AND start_at >= :s AND start_at < :e AND (CAST(:c AS text) IS NULL OR caseworker_id = :c)"),
        {"u": unit_id, "s": start, "e": end, "c": caseworker_id})).all()
    return [MeetingRecord(unit_id=r.unit_id, caseworker_id=r.caseworker_id, kind=MeetingKind(r.kind),
                          channel=Channel(r.channel), start=r.start_at,
                          minutes=int((r.end_at - r.start_at) / dt.timedelta(minutes=1)),
                          status=BookingStatus(r.status), outcome=Outcome(r.outcome) if r.outcome else None)
            for r in rows]


# --- join links ---------------------------------------------------------------------------------------------

async def insert_grant(session: AsyncSession, grant: JoinGrant, organisation: str | None) -> None:
    await session.execute(text(
        "INSERT INTO join_grants (id, booking_id, role, organisation, token_hash) VALUES (:id, :b, :r, :o, :h)"),
        {"id": grant.id, "b": grant.booking_id, "r": grant.role.value, "o": organisation, "h": grant.token_hash})


async def grant_by_hash(session: AsyncSession, token_hash: str) -> JoinGrant | None:
    row = (await session.execute(text(
        "SELECT id, booking_id, role, token_hash, used_at, revoked_at FROM join_grants WHERE token_hash = :h"),
        {"h": token_hash})).first()
    if row is None:
        return None
    return JoinGrant(id=row.id, booking_id=row.booking_id, role=ExternalRole(row.role), token_hash=row.token_hash,
                     used_at=row.used_at, revoked_at=row.revoked_at)


async def redeem_grant(session: AsyncSession, grant_id: uuid.UUID, now: dt.datetime) -> bool:
    """True for the one join that wins; a racing second one finds used_at set (a revoked link never wins)."""
    result = await session.execute(text(
        "UPDATE join_grants SET used_at = :now WHERE id = :id AND used_at IS NULL AND revoked_at IS NULL "
        "RETURNING id"), {"now": now, "id": grant_id})
    return result.first() is not None


async def revoke_grants(session: AsyncSession, booking_id: uuid.UUID, now: dt.datetime) -> None:
    await session.execute(text(
        "UPDATE join_grants SET revoked_at = :now WHERE booking_id = :b AND revoked_at IS NULL"),
        {"now": now, "b": booking_id})


async def revoke_grant(session: AsyncSession, booking_id: uuid.UUID, grant_id: uuid.UUID,
                       now: dt.datetime) -> bool | None:
    """Withdraw one participant's link. None: no such (unrevoked) participant of the booking; else whether they
    had joined (and so hold the room's URL)."""
    row = (await session.execute(text(
        "UPDATE join_grants SET revoked_at = :now WHERE id = :id AND booking_id = :b AND revoked_at IS NULL "
        "RETURNING used_at"), {"now": now, "id": grant_id, "b": booking_id})).first()
    return None if row is None else row.used_at is not None


# --- reminders ----------------------------------------------------------------------------------------------

async def schedule_reminders(session: AsyncSession, booking_id: uuid.UUID, due: Iterable[DueReminder]) -> int:
    """Replace the booking's unsent reminders (a moved booking gets new due times)."""
    await drop_unsent_reminders(session, booking_id)
    count = 0
    for reminder in due:
        await session.execute(text(
            "INSERT INTO reminders (id, booking_id, offset_minutes, due_at) VALUES (:id, :b, :o, :d)"),
            {"id": uuid.uuid4(), "b": booking_id, "o": int(reminder.offset / dt.timedelta(minutes=1)),
             "d": reminder.due_at})
        count += 1
    return count


async def drop_unsent_reminders(session: AsyncSession, booking_id: uuid.UUID) -> None:
    await session.execute(text("DELETE FROM reminders WHERE booking_id = :b AND sent_at IS NULL"), {"b": booking_id})


@dataclass(frozen=True)
class ClaimedReminder:
    id: uuid.UUID
    booking_id: uuid.UUID


async def claim_due_reminders(session: AsyncSession, now: dt.datetime, limit: int) -> list[ClaimedReminder]:
    """Due, unsent reminders, locked for this transaction; another worker skips them (SKIP LOCKED)."""
    rows = (await session.execute(text(
        "SELECT id, booking_id FROM reminders WHERE sent_at IS NULL AND due_at <= :now ORDER BY due_at, id "
        "LIMIT :limit FOR UPDATE SKIP LOCKED"), {"now": now, "limit": limit})).all()
    return [ClaimedReminder(r.id, r.booking_id) for r in rows]


async def mark_reminder_sent(session: AsyncSession, reminder_id: uuid.UUID, now: dt.datetime) -> None:
    await session.execute(text("UPDATE reminders SET sent_at = :now WHERE id = :id"), {"now": now, "id": reminder_id})
