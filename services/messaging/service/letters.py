"""The post room: letters fetched from their owners (the outbox relay hands us a letter id), and a day's batch for
the municipality's print-and-post service.

Queued in the event's transaction (service/events.py, store/letters.queue_letters), a letter is fetched once: the
owner renders the PDF (contracts.letters), we keep it sealed in the batch of the Swedish day it was fetched. An owner
that does not answer is asked again later (the outbox's backoff), up to ``letter_max_attempts``; the owner's final
"no letter" (404, 409, 422) is given up at once. Logs carry ids, kinds and counts, never a person, an address or
the letter.

The envelope address is looked up when the batch is produced, not when the letter is stored: the address (and a
protected-identity marking) is then as fresh as it can be on the day the letters are printed, and no address is ever
kept at rest. Without an answer from the population register no batch is produced (503): nothing is sent to a guessed
or stale address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import uuid
import zipfile
from collections.abc import Callable

import orjson
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.letters import LetterRequest
from kit import audit
from kit.auth import Principal
from kit.problems import Problem, not_found
from kit.tables import OutboxMessage
from services.messaging.domain import letters as rules
from services.messaging.integration.letters import LetterOwners, LetterOwnerUnavailable, NoLetter
from services.messaging.integration.population import AddressesUnavailable, PopulationRegister
from services.messaging.settings import MessagingSettings
from services.messaging.store import letters as store
from services.messaging.store.crypto import Keyring
from services.messaging.store.letters import LETTER_TOPIC

log = logging.getLogger("messaging.letters")


class LetterPost:
    """The outbox relay's handler for ``letter.fetch`` (workers.py routes by topic)."""

    def __init__(self, settings: MessagingSettings, sessions: async_sessionmaker[AsyncSession], keyring: Keyring,
                 owners: LetterOwners, clock: Callable[[], dt.datetime]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.keyring = keyring
        self.owners = owners
        self.clock = clock

    async def deliver(self, message: OutboxMessage) -> None:
        if message.topic != LETTER_TOPIC:
            log.warning("outbox topic not ours; dropped", extra={"topic": message.topic})
            return
        letter_id = uuid.UUID(str(message.payload["letter_id"]))
        async with self.sessions() as session:
            letter = await store.get_letter(session, self.keyring, letter_id)
            if letter is None or letter.status != "pending":
                return  # done already, or gone
            if message.attempts >= self.settings.letter_max_attempts:
                await self._give_up(session, letter_id, letter.kind.value, f"gave up after {message.attempts} attempts")
                return
        request = LetterRequest(event_id=letter.event_id, kind=letter.kind, ref=letter.ref,
                                recipient=letter.recipient, language=letter.language)  # type: ignore[arg-type]
        owner = rules.owner(letter.kind)
        try:
            document = await self.owners.fetch(owner, request)
        except NoLetter as exc:
            async with self.sessions() as session:
                await self._give_up(session, letter_id, letter.kind.value, f"{owner} {exc}")
            return
        except LetterOwnerUnavailable as exc:
            log.warning("letter owner did not answer; tried again later",
                        extra={"letter_id": str(letter_id), "kind": letter.kind.value, "reason": str(exc)})
            raise
        async with self.sessions() as session:
            now = self.clock()
            stored = await store.store_document(session, self.keyring, letter_id, pdf=document.pdf,
                                                pages=document.pages, language=document.language, fetched_at=now,
                                                batch_day=rules.batch_day(now))
            await session.commit()
        if stored:
            log.info("letter stored", extra={"letter_id": str(letter_id), "kind": letter.kind.value,
                                             "pages": document.pages})

    async def _give_up(self, session: AsyncSession, letter_id: uuid.UUID, kind: str, detail: str) -> None:
        await store.finish_letter(session, letter_id, "failed", detail)
        await session.commit()
        log.warning("letter failed", extra={"letter_id": str(letter_id), "kind": kind, "detail": detail})


async def batch_days(session: AsyncSession) -> list[store.BatchDay]:
    return await store.batch_days(session)


class LetterBatchOpen(Problem):
    def __init__(self) -> None:
        super().__init__(409, "letter-batch-open", "The day is not over",
                         "A day's letters are collected once the day is over (Swedish time): today's batch is "
                         "still growing.")


async def batch_zip(session: AsyncSession, *, settings: MessagingSettings, keyring: Keyring,
                    population: PopulationRegister | None, principal: Principal, day: dt.date,
                    now: dt.datetime) -> tuple[bytes, int]:
    """The day's batch as a zip: one PDF per letter (opaque names), ``manifest.csv`` and ``manifest.json``.
    Audited (who, the day, how many letters). Returns (zip, letters)."""
    if day >= rules.batch_day(now):
        raise LetterBatchOpen()
    letters = await store.batch(session, keyring, day)
    if not letters:
        raise not_found("letter batch")
    if population is None:
        raise Problem(503, "address-lookup-unavailable", "Try again shortly",
                      "The population register is not configured here; no batch without addresses.")
    recipients = [letter.recipient for letter in letters]
    try:
        records = await population.people(recipients)
    except AddressesUnavailable:
        raise Problem(503, "address-lookup-unavailable", "Try again shortly",
                      "The addresses could not be looked up right now; nothing was collected.") from None
    protected = await store.protected_in_copy(session, recipients)
    forwarding = settings.forwarding_address()
    return_address = settings.return_address()
    entries = []
    for letter in letters:
        envelope = rules.envelope(letter.recipient, records.get(letter.recipient),
                                  protected_in_copy=letter.recipient in protected, forwarding=forwarding)
        entries.append(rules.ManifestEntry(rules.file_name(letter.id), envelope, letter.pages,
                                           hashlib.sha256(letter.pdf).hexdigest()))
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for letter, entry in zip(letters, entries, strict=True):
            archive.writestr(zipfile.ZipInfo(entry.file, stamp), letter.pdf)
        archive.writestr(zipfile.ZipInfo("manifest.csv", stamp), rules.manifest_csv(entries, return_address))
        archive.writestr(zipfile.ZipInfo("manifest.json", stamp),
                         orjson.dumps(rules.manifest_json(day, entries, return_address), option=orjson.OPT_INDENT_2))
    await store.mark_batched(session, day, now)
    audit.record(session, principal, "export", "letter_batch", day.isoformat(), purpose="messaging.letters",
                 details={"letters": len(letters), "forwarded": sum(e.envelope.forwarded for e in entries)})
    await session.commit()
    log.info("letter batch collected", extra={"day": day.isoformat(), "letters": len(letters)})
    return out.getvalue(), len(letters)
