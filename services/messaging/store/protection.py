"""Who has protected identity in our sticky copy: no contact details, no notifications, protected threads. A
letter-only contact (no phone, no e-mail: domain.notify.make_contact) stays: letters go via Skatteverket's
forwarding."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def mark_protected(session: AsyncSession, personal_numbers: list[str]) -> None:
    """From now on: no contact details kept (a letter-only contact, which holds none, stays), no notification sent,
    every thread of theirs protected."""
    if not personal_numbers:
        return
    params = {"r": personal_numbers}
    await session.execute(text(
        "INSERT INTO protected_persons (personal_number) SELECT unnest(CAST(:r AS text[])) "
        "ON CONFLICT DO NOTHING"), params)
    await session.execute(text(
        "UPDATE notifications SET status = 'cancelled', detail = 'protected identity' "
        "WHERE status = 'pending' AND person_ref IN "
        "(SELECT person_ref FROM contacts WHERE personal_number = ANY(CAST(:r AS text[])))"), params)
    await session.execute(text("DELETE FROM contacts WHERE personal_number = ANY(CAST(:r AS text[])) "
                               "AND channels <> ARRAY['letter']::text[]"), params)
    await session.execute(text(
        "UPDATE threads SET protected_identity = true WHERE NOT protected_identity AND id IN "
        "(SELECT thread_id FROM thread_members WHERE personal_number = ANY(CAST(:r AS text[])))"), params)


async def any_protected(session: AsyncSession, personal_numbers: list[str]) -> bool:
    row = (await session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM protected_persons WHERE personal_number = ANY(CAST(:r AS text[])))"),
        {"r": personal_numbers})).scalar_one()
    return bool(row)
