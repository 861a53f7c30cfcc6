"""Where a client's notifications go (sealed), and whom staff may act for."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.messaging.domain.notify import Channel, Contact
from services.messaging.store.crypto import Keyring, aad
from services.messaging.store.threads import PARTY_TO


async def put_contact(session: AsyncSession, keyring: Keyring, personal_number: str, contact: Contact, *,
                      updated_by: str, now: dt.datetime) -> None:
    details = orjson.dumps({"phone": contact.phone, "email": contact.email})
    sealed = keyring.seal(details, aad("contacts", "details", personal_number))
    await session.execute(text(
        "INSERT INTO contacts (personal_number, key_id, details, channels, language, updated_at, updated_by) "
        "VALUES (:p, :k, :d, CAST(:c AS text[]), :l, :now, :by) ON CONFLICT (personal_number) DO UPDATE SET "
        "key_id = EXCLUDED.key_id, details = EXCLUDED.details, channels = EXCLUDED.channels, "
        "language = EXCLUDED.language, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by"),
        {"p": personal_number, "k": keyring.current_kid, "d": sealed, "c": sorted(contact.channels),
         "l": contact.language, "now": now, "by": updated_by})


_SELECT = "SELECT personal_number, key_id, details, channels, language FROM contacts "


async def get_contact(session: AsyncSession, keyring: Keyring, personal_number: str) -> Contact | None:
    row = (await session.execute(text(_SELECT + "WHERE personal_number = :p"), {"p": personal_number})).first()
    return _contact(keyring, row)


async def get_contact_by_ref(session: AsyncSession, keyring: Keyring, person_ref: uuid.UUID) -> Contact | None:
    """A notification's person: its contact details, found by the reference it keeps instead of a personnummer."""
    row = (await session.execute(text(_SELECT + "WHERE person_ref = :r"), {"r": person_ref})).first()
    return _contact(keyring, row)


def _contact(keyring: Keyring, row: Any) -> Contact | None:
    if row is None:
        return None
    details = orjson.loads(keyring.open(row.key_id, row.details, aad("contacts", "details", row.personal_number)))
    return Contact(details.get("phone"), details.get("email"), frozenset(Channel(c) for c in row.channels),
                   row.language)  # type: ignore[arg-type]


async def delete_contact(session: AsyncSession, personal_number: str) -> None:
    await session.execute(text("DELETE FROM contacts WHERE personal_number = :p"), {"p": personal_number})


async def known_in_units(session: AsyncSession, personal_number: str, units: list[str],
                         protected_access: bool, *, sub: str = "", work_only: bool = False) -> bool:
    """Is this person a client of one of these units (a thread or a case there) whom the caller may see?
    Staff act only for them. An employment officer: only people in threads they are a party to."""
    row = (await session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM thread_members tm JOIN threads t ON t.id = tm.thread_id "  # noqa: S608
        "WHERE tm.personal_number = :p AND t.unit = ANY(CAST(:u AS text[])) AND (NOT t.protected_identity OR :pa) "
        f"AND {PARTY_TO}) "
        "OR (NOT :wo AND EXISTS (SELECT 1 FROM cases c WHERE :p = ANY(c.recipients) "
        "AND c.unit = ANY(CAST(:u AS text[])) AND (NOT c.protected_identity OR :pa)))"),
        {"p": personal_number, "u": units, "pa": protected_access, "sub": sub, "wo": work_only})).scalar_one()
    return bool(row)
