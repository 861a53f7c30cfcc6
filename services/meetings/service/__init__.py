"""The meetings service's use cases: one module per aggregate, plain async functions taking the session first.

Each use case loads what it needs, asks the domain's rules, writes through ``store`` and commits once: the change,
its staff rows, reminders, outbox event and audit entry are kept together or not at all.

    runtime.py       what the start-up hook makes (clock, owner of protected identity, relay, workers)
    access.py        who the caller is, which booking they may see or change (the api's dependencies ask here)
    protection.py    protected identity, asked of its owner before a person is written or shown
    bookings.py      book, record a contact, show, move, cancel, change channel, mark outcome, staff, participants
    availability.py  weekly hours, exceptions, free slots
    units.py         a unit's settings and meeting types
    calendar.py      calendar feeds, external participants' join links
    stats.py         the team lead's weekly figures
    events.py        the outbox event of a change (contracts.events)
    reminders.py     reminders of a booking; due ones become events (workers.py runs that)
    rooms.py         a booking's video room
"""
