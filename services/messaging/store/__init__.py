"""Queries of the messaging service, one module per aggregate, in raw SQL (``text()``, asyncpg on the send path).

The schema is the alembic migrations' (migrations/messaging); rows come back as the typed records defined here.
Encryption happens here and nowhere else: above this package there is only plaintext, in the database only
ciphertext (message bodies, subjects, file names and content, contact details), each row with the id of the key
that sealed it. Functions take the session first and never commit: the service layer does.
"""
