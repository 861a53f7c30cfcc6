"""Letters (the post room): queued with an outbox entry each in the event's transaction, filled with the owner's PDF
(sealed) by the delivery worker, read back by batch day. The recipient's personnummer is sealed too; the address is
never stored (it is looked up when the batch is produced)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.letters import LetterKind
from kit import outbox
from services.messaging.store.crypto import Keyring, aad

LETTER_TOPIC = "letter.fetch"


def _recipient_aad(letter_id: uuid.UUID) -> bytes:
    return aad("letters", "recipient", letter_id)


def _document_aad(letter_id: uuid.UUID) -> bytes:
    return aad("letters", "document", letter_id)


async def queue_letters(session: AsyncSession, keyring: Keyring, *, event_id: uuid.UUID, kind: LetterKind,
                        ref: uuid.UUID, recipients: list[str], now: dt.datetime) -> list[uuid.UUID]:
    """One letter per recipient whose contact has the letter channel, once per event (a repeated event adds
    nothing), and an outbox entry for each (its payload: the letter id only). A protected person may have a letter-only
    contact: their letter is queued too, and goes through Skatteverket's forwarding (service/letters.batch_zip)."""
    if not recipients:
        return []
    rows = (await session.execute(text(
        "SELECT c.personal_number, c.person_ref, c.language FROM contacts c "
        "WHERE c.personal_number = ANY(CAST(:r AS text[])) AND 'letter' = ANY(c.channels) "
        "ORDER BY c.personal_number"), {"r": recipients})).all()
    made: list[uuid.UUID] = []
    for row in rows:
        letter_id = uuid.uuid4()
        inserted = (await session.execute(text(
            "INSERT INTO letters (id, source, person_ref, event_id, kind, ref, key_id, recipient, language, "
            "created_at) VALUES (:id, :s, :pr, :e, :k, :ref, :kid, :rc, :l, :now) "
            "ON CONFLICT ON CONSTRAINT uq_letters_once DO NOTHING RETURNING id"),
            {"id": letter_id, "s": f"event:{event_id}", "pr": row.person_ref, "e": event_id, "k": kind.value,
             "ref": ref, "kid": keyring.current_kid,
             "rc": keyring.seal(row.personal_number.encode(), _recipient_aad(letter_id)), "l": row.language,
             "now": now})).first()
        if inserted is not None:
            outbox.enqueue(session, LETTER_TOPIC, {"letter_id": str(letter_id)})
            made.append(letter_id)
    return made


@dataclass(frozen=True)
class LetterRecord:
    id: uuid.UUID
    event_id: uuid.UUID
    kind: LetterKind
    ref: uuid.UUID
    recipient: str = field(repr=False)
    language: str
    status: str


async def get_letter(session: AsyncSession, keyring: Keyring, letter_id: uuid.UUID) -> LetterRecord | None:
    row = (await session.execute(text(
        "SELECT id, event_id, kind, ref, key_id, recipient, language, status FROM letters WHERE id = :id"),
        {"id": letter_id})).first()
    if row is None:
        return None
    recipient = keyring.open(row.key_id, row.recipient, _recipient_aad(row.id)).decode()
    return LetterRecord(row.id, row.event_id, LetterKind(row.kind), row.ref, recipient, row.language, row.status)


async def store_document(session: AsyncSession, keyring: Keyring, letter_id: uuid.UUID, *, pdf: bytes, pages: int,
                         language: str, fetched_at: dt.datetime, batch_day: dt.date) -> bool:
    """Keep the owner's PDF (sealed) in the day's batch; False when the letter was not pending any more. The
    recipient is re-sealed under the current key with it, so one key id covers the row."""
    row = (await session.execute(text(
        "SELECT key_id, recipient FROM letters WHERE id = :id AND status = 'pending' FOR UPDATE"),
        {"id": letter_id})).first()
    if row is None:
        return False
    recipient = keyring.open(row.key_id, row.recipient, _recipient_aad(letter_id))
    result = await session.execute(text(
        "UPDATE letters SET status = 'stored', key_id = :kid, recipient = :rc, document = :d, pages = :p, "
        "language = :l, fetched_at = :at, batch_day = :day, detail = NULL WHERE id = :id AND status = 'pending'"),
        {"kid": keyring.current_kid, "rc": keyring.seal(recipient, _recipient_aad(letter_id)),
         "d": keyring.seal(pdf, _document_aad(letter_id)), "p": pages, "l": language, "at": fetched_at,
         "day": batch_day, "id": letter_id})
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


async def finish_letter(session: AsyncSession, letter_id: uuid.UUID, status: str, detail: str) -> bool:
    """A pending letter that will not be made (failed, cancelled); False when it was not pending."""
    result = await session.execute(text(
        "UPDATE letters SET status = :s, detail = :d WHERE id = :id AND status = 'pending'"),
        {"s": status, "d": detail, "id": letter_id})
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


@dataclass(frozen=True)
class BatchDay:
    day: dt.date
    letters: int
    pages: int
    collected: bool


async def batch_days(session: AsyncSession, limit: int = 400) -> list[BatchDay]:
    rows = (await session.execute(text(
        "SELECT batch_day, count(*) AS n, COALESCE(sum(pages), 0) AS pages, bool_and(batched_at IS NOT NULL) AS c "
        "FROM letters WHERE status = 'stored' GROUP BY batch_day ORDER BY batch_day DESC LIMIT :n"),
        {"n": limit})).all()
    return [BatchDay(r.batch_day, int(r.n), int(r.pages), bool(r.c)) for r in rows]


@dataclass(frozen=True)
class BatchLetter:
    id: uuid.UUID
    recipient: str = field(repr=False)
    pages: int
    pdf: bytes = field(repr=False)


async def batch(session: AsyncSession, keyring: Keyring, day: dt.date) -> list[BatchLetter]:
    rows = (await session.execute(text(
        "SELECT id, key_id, recipient, pages, document FROM letters WHERE status = 'stored' AND batch_day = :d "
        "ORDER BY fetched_at, id"), {"d": day})).all()
    return [BatchLetter(r.id, keyring.open(r.key_id, r.recipient, _recipient_aad(r.id)).decode(), r.pages,
                        keyring.open(r.key_id, r.document, _document_aad(r.id))) for r in rows]


async def mark_batched(session: AsyncSession, day: dt.date, now: dt.datetime) -> None:
    """The day's letters were collected (the first time counts: gallring runs from it)."""
    await session.execute(text(
        "UPDATE letters SET batched_at = :now WHERE batch_day = :d AND status = 'stored' AND batched_at IS NULL"),
        {"d": day, "now": now})


async def protected_in_copy(session: AsyncSession, personal_numbers: list[str]) -> frozenset[str]:
    rows = (await session.execute(text(
        "SELECT personal_number FROM protected_persons WHERE personal_number = ANY(CAST(:r AS text[]))"),
        {"r": personal_numbers})).all()
    return frozenset(r.personal_number for r in rows)
