"""Free slots from the database: load availability and busy ranges for a window, let the domain compute."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from services.meetings import store
from services.meetings.domain.availability import CaseworkerCalendar, Slot, search_unit_slots
from services.meetings.domain.meeting_types import MeetingType
from services.meetings.domain.times import start_of_local_day


async def find_slots(session: AsyncSession, meeting_type: MeetingType, caseworker_ids: Sequence[str],
                     first: dt.date, last: dt.date, now: dt.datetime, min_notice: dt.timedelta,
                     *, exclude_booking: uuid.UUID | None = None) -> list[Slot]:
    """Slots of the caseworkers from `first` to `last` (local dates, inclusive), ordered by start.

    Busy ranges are read with a margin of the type's buffers around the window, so a booking just outside
    the window still blocks a slot whose buffer reaches into it. `exclude_booking`: a booking being moved
    does not block its own new time.
    """
    if not caseworker_ids:
        return []
    start = start_of_local_day(first)
    end = start_of_local_day(last + dt.timedelta(days=1))
    margin = meeting_type.buffer_before + meeting_type.buffer_after + dt.timedelta(days=1)
    availability = await store.availabilities(session, caseworker_ids, start - margin, end + margin)
    busy = await store.busy_intervals(session, caseworker_ids, start - margin, end + margin,
                                      exclude_booking=exclude_booking)
    calendars = [CaseworkerCalendar(availability[cid], busy.get(cid, ())) for cid in caseworker_ids]
    return search_unit_slots(calendars, meeting_type, first, last, now, min_notice)
