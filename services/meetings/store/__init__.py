"""Tables and queries of the meetings service (migration 0002 is the source of truth for the schema).

One module per aggregate, raw SQL (``text()``). Functions take the session first and never commit: the service
layer commits once, so a booking, its staff rows (the double-booking guard), its reminders, its outbox event and
its audit entry are kept together or not at all. Rows come back as the domain's own types (MeetingType,
Availability, Booking) wrapped with what only the store knows (the client's personnummer and needs, the staff
and external participants).

    units.py         unit settings, meeting types
    caseworkers.py   caseworkers (unit, clearance as their token said), calendar feed tokens
    availability.py  weekly hours, absences and extra hours, busy ranges
    clients.py       protected identity a client's own token claimed, a client's own caseworkers
    bookings.py      bookings and their staff rows, the advisory lock per caseworker
    links.py         external participants' join links
    reminders.py     reminders, claimed by one worker at a time
    stats.py         what the statistics reads
    conflicts.py     SQLSTATEs that mean "the time is taken"
"""
