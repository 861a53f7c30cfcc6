"""Client profiles: language, interpreter need and contact details."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def get_profile(session: AsyncSession, personal_number: str) -> dict[str, Any] | None:
    row = (await session.execute(text("SELECT * FROM client_profiles WHERE personal_number = :p"),
                                 {"p": personal_number})).mappings().first()
    return None if row is None else dict(row)


async def upsert_profile(session: AsyncSession, personal_number: str, values: dict[str, Any],
                         now: dt.datetime) -> None:
    columns = ["preferred_language", "interpreter_needed", "interpreter_language", "phone", "email", "address"]
    given = {k: v for k, v in values.items() if k in columns}
    names = ", ".join(["personal_number", "updated_at", *given])
    params = ", ".join([":personal_number", ":updated_at", *(f":{k}" for k in given)])
    updates = ", ".join(["updated_at = EXCLUDED.updated_at", *(f"{k} = EXCLUDED.{k}" for k in given)])
    await session.execute(text(
        f"INSERT INTO client_profiles ({names}) VALUES ({params}) "  # noqa: S608 - column names from a fixed list
        f"ON CONFLICT (personal_number) DO UPDATE SET {updates}"),
        {"personal_number": personal_number, "updated_at": now, **given})
