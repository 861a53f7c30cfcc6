"""Bookings and their staff rows (the double-booking guard), read back with their people."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.meetings.domain.availability import Interval
from services.meetings.domain.bookings import (
    AccessibilityNeed,
    Booking,
    BookingStatus,
    ExternalRole,
    Outcome,
)
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.store.links import revoke_grants
from services.meetings.store.reminders import drop_unsent_reminders


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


async def set_booking_protection(session: AsyncSession, booking_id: uuid.UUID, protected: bool) -> None:
    """The booking's copy of its client's status (what its events say), brought in line on a change."""
    await session.execute(text("UPDATE bookings SET protected_identity = :p WHERE id = :id"),
                          {"p": protected, "id": booking_id})
