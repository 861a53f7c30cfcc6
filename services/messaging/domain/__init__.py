"""The messaging service's domain: secure threads between a client household and a unit's caseworkers.

Pure: no database, no web framework, no network; the clock is passed in. Read in this order:
    access.py    who sees which thread and on which side they write (BOLA); 404 for everyone else
    rules.py     message body, subject, attachment count, per-sender rate, the retract window
    inbox.py     unit inbox, taking a thread, the case's caseworker, absence hand-over
    notify.py    notifications without content (sv/en/ar: catalogs in locales/), topics from other services,
                 contact details
Attachments follow the shared file rules (values.files).
Errors carry stable codes (errors.MessagingError) for problem+json.
"""
