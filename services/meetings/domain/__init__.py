"""The meetings service's domain: availability, slots, booking rules, reminders, calendars, statistics.

Pure: no database, no web framework, no network; the clock is always passed in (`now`). Read in this order:
    times.py          Stockholm wall time outside, UTC instants inside (and why)
    meeting_types.py  what a unit offers (kind, length, buffers, channels), blocked_range()
    unit_settings.py  a unit's settings: cut-off, minimum notice, reminder times, key figures (of stats.py)
    closed_days.py    Swedish public holidays + midsommarafton, julafton, nyårsafton (a parameter)
    availability.py   weekly hours, absences, extra hours -> free slots; one caseworker or a whole unit
    bookings.py       the booking request (interpreter, accessibility) and the kept booking; references
    rules.py          who may book, move, cancel, change channel, mark outcome: allow/deny with stable reasons
    reminders.py      when reminders are due and what they say (nothing sensitive; no place if protected)
    ics.py            a booking as a calendar file, a caseworker's feed (no personal data)
    stats.py          weekly key figures per unit, caseworker and ISO week
    links.py          video room links, one-time join links for external participants (hash-only storage)
Denials carry a rules.Reason whose value is the problem+json slug (urn:bistand:problem:<reason>).
"""
