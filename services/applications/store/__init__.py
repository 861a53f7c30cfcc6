"""Tables and queries of the applications service, one module per aggregate (the migration 0002 is the source of
truth). Raw SQL through ``text()``.

Functions take the session first and never commit: the service layer does, so a change, its history row, its
audit entry and its outbox event commit together or not at all.
"""
