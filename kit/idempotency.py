"""Idempotency-Key: a retried request gets the first answer instead of doing the work twice.

Inside the request's transaction, ``claim`` inserts (scope, key). A concurrent request with the
same key blocks on that row until the first commits, then finds it taken and gets the stored
answer. ``complete`` records the answer in the same transaction as the work.

Nothing in a row can be read without the service's key: the answer (which may hold message text, names,
personnummer) is sealed (kit.sealing, the sealer bound to the session); the scope (it names the caller) and
the key (the client chooses it) are stored as keyed fingerprints, and so is the request's hash, so that not
even a short request (a personnummer and little else) can be found by trying candidates.
Rows are purged after the retry window (kit.housekeeping).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Header
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import outbox
from kit.db import driver_connection
from kit.problems import Problem
from kit.sealing import Sealer, sealer_of


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status: int
    body: Any


def request_hash(payload: Any) -> str:
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 200:
        raise Problem(400, "bad-idempotency-key", "Bad Idempotency-Key",
                      "Idempotency-Key must be 1 to 200 characters.")
    return key


async def claim(session: AsyncSession, scope: str, key: str, req_hash: str) -> StoredAnswer | None:
    """None: the work is ours to do. Otherwise the first request's answer."""
    sealer = sealer_of(session)
    # asyncpg directly (kit.db.driver_connection): every retry-safe write runs these two statements.
    conn = await driver_connection(session)
    row = None
    if len(sealer.keyring.kids) > 1:  # a key rotation: the first attempt may be stored under an older key
        for older in _ids(sealer, scope, key)[1:]:
            row = await conn.fetchrow(_SELECT, *older)
            if row is not None:
                break
    if row is None:
        s, k = _ids(sealer, scope, key)[0]
        if await conn.fetchval(_INSERT, s, k, sealer.fingerprint(req_hash)) is not None:
            return None
        row = await conn.fetchrow(_SELECT, s, k)
    if row is None or row["status"] is None:
        raise Problem(409, "idempotency-in-progress", "Request in progress",
                      "A request with this Idempotency-Key is still being processed.")
    # (A row from before fingerprints held the plain hash; it is purged within the window.)
    if not (sealer.matches(row["request_hash"], req_hash) or row["request_hash"] == req_hash):
        raise Problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                      "This Idempotency-Key was used with a different request.")
    return StoredAnswer(row["status"], sealer.open_json(row["body"], _where(scope, key)))


async def complete(session: AsyncSession, scope: str, key: str, status: int, body: Any) -> None:
    sealer = sealer_of(session)
    s, k = _ids(sealer, scope, key)[0]
    sealed = orjson.dumps(sealer.seal_json(body, _where(scope, key))).decode()
    conn = await driver_connection(session)
    # The transaction's outbox messages ride along (kit.outbox would write them at commit): one round trip less.
    if (messages := outbox.take_pending(session)) is not None:
        await conn.execute(_COMPLETE_WITH_MESSAGES, status, sealed, s, k, *messages)
    else:
        await conn.execute(_COMPLETE, status, sealed, s, k)


_INSERT = ("INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3) "
           "ON CONFLICT DO NOTHING RETURNING key")
_SELECT = "SELECT request_hash, status, body FROM idempotency_keys WHERE scope = $1 AND key = $2"
_COMPLETE = "UPDATE idempotency_keys SET status = $1, body = CAST($2 AS jsonb) WHERE scope = $3 AND key = $4"
_COMPLETE_WITH_MESSAGES = f"WITH messages AS ({outbox.insert_pending(5)}) {_COMPLETE}"


# --- many keys at once (a batch of events, each its own key in the same scope as single requests use) ----------

CLAIMED = "claimed"  # the work is ours to do
TAKEN = "taken"  # done before under this key, for the same request: a redelivery


async def claim_many(session: AsyncSession, scope: str, items: Sequence[tuple[str, str]]) -> list[str | Problem]:
    """``claim`` for many (key, request hash) pairs, set-based: one INSERT (a second statement only for keys
    already taken, one more per older key during a rotation). Per pair, in order: CLAIMED, TAKEN, or the Problem
    ``claim`` would raise (key reused for another request, or still in progress). The rows are the ones ``claim``
    makes, so a key taken one way is taken the other way too. Keys must be distinct. The answer of a taken key is
    not opened (a batch reports a duplicate, not the first answer)."""
    if len({key for key, _ in items}) != len(items):
        raise ValueError("claim_many: keys must be distinct")
    sealer = sealer_of(session)
    conn = await driver_connection(session)
    found: dict[int, Any] = {}
    for kid in sealer.keyring.kids[1:]:  # a key rotation: some may be stored under an older key
        open_ones = [i for i in range(len(items)) if i not in found]
        if not open_ones:
            break
        keys = {sealer.fingerprint(items[i][0], kid): i for i in open_ones}
        for row in await conn.fetch(_SELECT_MANY, sealer.fingerprint(scope, kid), list(keys)):
            found[keys[row["key"]]] = row
    current = {sealer.fingerprint(items[i][0]): i for i in range(len(items)) if i not in found}
    if current:
        # Sorted: every batch locks keys in one order, so two overlapping batches wait instead of deadlocking.
        keys = sorted(current)
        hashes = [sealer.fingerprint(items[current[k]][1]) for k in keys]
        s = sealer.fingerprint(scope)
        inserted = {row["key"] for row in await conn.fetch(_INSERT_MANY, s, keys, hashes)}
        if taken := [k for k in keys if k not in inserted]:
            for row in await conn.fetch(_SELECT_MANY, s, taken):
                found[current[row["key"]]] = row
        claimed = {current[k] for k in inserted}
    else:
        claimed = set()
    out: list[str | Problem] = []
    for i, (_, req_hash) in enumerate(items):
        row = found.get(i)
        if i in claimed:
            out.append(CLAIMED)
        elif row is None or row["status"] is None:
            out.append(Problem(409, "idempotency-in-progress", "Request in progress",
                               "A request with this Idempotency-Key is still being processed."))
        elif not (sealer.matches(row["request_hash"], req_hash) or row["request_hash"] == req_hash):
            out.append(Problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                               "This Idempotency-Key was used with a different request."))
        else:
            out.append(TAKEN)
    return out


async def complete_many(session: AsyncSession, scope: str, answers: Sequence[tuple[str, int, Any]]) -> None:
    """``complete`` for many claimed (key, status, body), in one statement."""
    if not answers:
        return
    sealer = sealer_of(session)
    keys, statuses, bodies = [], [], []
    for key, status, body in answers:
        keys.append(sealer.fingerprint(key))
        statuses.append(status)
        bodies.append(orjson.dumps(sealer.seal_json(body, _where(scope, key))).decode())
    await (await driver_connection(session)).execute(_COMPLETE_MANY, sealer.fingerprint(scope), keys, statuses,
                                                     bodies)


_INSERT_MANY = ("INSERT INTO idempotency_keys (scope, key, request_hash) "
                "SELECT $1, t.k, t.h FROM unnest(CAST($2 AS text[]), CAST($3 AS text[])) WITH ORDINALITY AS t(k, h, n) "
                "ORDER BY t.n ON CONFLICT DO NOTHING RETURNING key")
_SELECT_MANY = ("SELECT key, request_hash, status FROM idempotency_keys "
                "WHERE scope = $1 AND key = ANY(CAST($2 AS text[]))")
_COMPLETE_MANY = ("UPDATE idempotency_keys AS i SET status = t.st, body = CAST(t.b AS jsonb) "
                  "FROM unnest(CAST($2 AS text[]), CAST($3 AS int[]), CAST($4 AS text[])) AS t(k, st, b) "
                  "WHERE i.scope = $1 AND i.key = t.k")


def _ids(sealer: Sealer, scope: str, key: str) -> list[tuple[str, str]]:
    """How (scope, key) is stored: fingerprints under the current key first, then under each older one."""
    return [(sealer.fingerprint(scope, kid), sealer.fingerprint(key, kid)) for kid in sealer.keyring.kids]


def _where(scope: str, key: str) -> str:
    # The answer is bound to its own (scope, key): it cannot be replayed as another caller's answer.
    return f"idempotency_keys/body/{hashlib.sha256(orjson.dumps([scope, key])).hexdigest()}"


# --- the dependency every service's routers use --------------------------------------------------------------

RETRY_SAFELY = "Retry safely: the first answer is returned again."


@dataclass(slots=True)
class Idempotency:
    """A request's Idempotency-Key (checked) and the two steps around the work done under it.

    ``claim`` returns the first answer for a retry, or None (the work is ours to do); ``complete`` records this
    answer in the same transaction as the work. Without a key both do nothing: every request does the work.
    """

    key: str | None
    scope: str = ""

    async def claim(self, session: AsyncSession, scope: str, payload: Any) -> StoredAnswer | None:
        if self.key is None:
            return None
        self.scope = scope
        return await claim(session, scope, self.key, request_hash(payload))

    async def complete(self, session: AsyncSession, status: int, body: Any) -> None:
        if self.key is not None:
            await complete(session, self.scope, self.key, status, body)


def idempotency_key(description: str | None = RETRY_SAFELY) -> Any:
    """A FastAPI dependency: ``Depends(idempotency_key())`` gives an :class:`Idempotency` for the request."""
    # The header is the parameter's default, not its annotation: annotations are strings here (PEP 563) and
    # FastAPI resolves them in this module's globals, where ``description`` is not.
    header = Header(None, alias="Idempotency-Key", description=description)

    async def dependency(key: str | None = header) -> Idempotency:
        return Idempotency(check_key(key))

    return dependency
