"""Transactional outbox: write an event with the change it belongs to, deliver it later.

``enqueue`` adds the message to the caller's session, so it commits or rolls back with the
business change. ``OutboxRelay`` claims due messages with ``FOR UPDATE SKIP LOCKED`` (safe
with many replicas), hands each to ``deliver`` and marks it delivered, or schedules a retry
with exponential backoff. Receivers deduplicate on the message id (sent as Idempotency-Key),
so a crash between delivery and commit at worst repeats a delivery the receiver ignores.

Payloads are sealed at rest (kit.sealing, the sealer bound to the session): they carry personnummer of
recipients. ``deliver`` gets them opened. Delivered rows are purged after a short retention (kit.housekeeping).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import httpx
import orjson
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction, configure_mappers
from sqlalchemy.util import await_only
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import tracing
from kit.http import JsonPoster
from kit.sealing import Sealer, sealer_of
from kit.tables import OutboxMessage

log = logging.getLogger("kit.outbox")

Deliver = Callable[[OutboxMessage], Awaitable[None]]
# Deliver a claimed batch with one call: per message, in order, None (delivered) or why not (kept, retried later).
DeliverBatch = Callable[[list[OutboxMessage]], Awaitable[list[Exception | None]]]


def enqueue(session: AsyncSession, topic: str, payload: dict[str, Any],
            message_id: uuid.UUID | None = None) -> OutboxMessage:
    """Write the message with the session's transaction: it commits (or rolls back) with the business change.

    Not an ORM object: the session keeps the row and writes every row of the transaction in one statement when it
    commits (or earlier, folded into another statement: ``take_pending``). A table model's __init__ and the
    unit of work cost more than the rest of a request's outbox work; the row in the table is the same."""
    message_id = message_id or uuid.uuid4()
    sealed = sealer_of(session).seal_json(payload, _where(message_id))
    trace = tracing.inject() or None
    session.info.setdefault(_PENDING, []).append((message_id, topic, sealed, trace))
    # What the caller gets back (most read only the id), built without the validating __init__.
    message = _new_message()
    message.__dict__.update(id=message_id, topic=topic, payload=sealed, attempts=0, last_error=None,
                            delivered_at=None, trace_context=trace)
    return message


def _new_message() -> OutboxMessage:
    if not _configured:  # an instance made before the mappers are configured has no working attributes
        configure_mappers()
        _configured.append(True)
    return _manager.new_instance()  # type: ignore[no-any-return]


_manager = OutboxMessage._sa_class_manager  # type: ignore[attr-defined]
_configured: list[bool] = []
_PENDING = "kit.outbox.pending"


def insert_pending(first: int = 1) -> str:
    """The one statement that writes a transaction's messages, its four array parameters numbered from ``first``
    (columns not named take their defaults, as the ORM's insert left them)."""
    i, t, p, c = (f"${n}" for n in range(first, first + 4))
    # Text arrays only: asyncpg knows their codec without asking the server (a uuid[] costs a type lookup).
    return ("INSERT INTO outbox (id, topic, payload, trace_context) SELECT u.i::uuid, u.t, u.p::jsonb, u.c::jsonb "  # noqa: S608 - parameter numbers only
            f"FROM unnest({i}::text[], {t}::text[], {p}::text[], {c}::text[]) WITH ORDINALITY AS u(i, t, p, c, n) "
            "ORDER BY u.n")


_INSERT_PENDING = insert_pending()


def take_pending(session: AsyncSession | Session) -> list[list[Any]] | None:
    """The messages enqueued on the session and not yet written, as the four array parameters of
    ``insert_pending`` (for a caller that writes them inside one of its own statements, in this transaction);
    None when there are none."""
    rows = session.info.pop(_PENDING, None)
    if not rows:
        return None
    return [[str(r[0]) for r in rows], [r[1] for r in rows], [orjson.dumps(r[2]).decode() for r in rows],
            [None if r[3] is None else orjson.dumps(r[3]).decode() for r in rows]]


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """At commit (inside SQLAlchemy's greenlet, so the driver is awaited as SQLAlchemy's own statements are)."""
    args = take_pending(session)
    if args is None:
        return
    raw = session.connection().connection  # the pooled DBAPI adapter, in this session's transaction
    driver = raw.driver_connection
    if not driver.is_in_transaction():  # nothing ran yet: begin as SQLAlchemy's first statement would
        await_only(raw.dbapi_connection._start_transaction())
    await_only(driver.execute(_INSERT_PENDING, *args))


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    # A rolled back (or closed) transaction takes its messages with it, as it took the ORM's pending rows.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _where(message_id: uuid.UUID) -> str:
    return f"outbox/payload/{message_id}"


def opened(sealer: Sealer, message: OutboxMessage) -> OutboxMessage:
    """The message with its payload opened (what ``deliver`` is given)."""
    return OutboxMessage(id=message.id, topic=message.topic,
                         payload=sealer.open_json(message.payload, _where(message.id)),
                         created_at=message.created_at, available_at=message.available_at,
                         attempts=message.attempts, last_error=message.last_error, delivered_at=message.delivered_at,
                         trace_context=message.trace_context)


def _opened_row(sealer: Sealer, row: Any) -> OutboxMessage:
    # ``opened`` of a claimed row, building the message once (a table model's __init__ is not cheap).
    return OutboxMessage(**{**row, "payload": sealer.open_json(row["payload"], _where(row["id"]))})


_CLAIM = text(
    """
    SELECT id, topic, payload, created_at, available_at, attempts, last_error, delivered_at, trace_context
    FROM outbox
    WHERE delivered_at IS NULL AND available_at <= now()
      AND (CAST(:only AS text[]) IS NULL OR topic = ANY(CAST(:only AS text[])))
      AND (CAST(:skip AS text[]) IS NULL OR topic <> ALL(CAST(:skip AS text[])))
    ORDER BY available_at, created_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)


_DELIVERED = text("UPDATE outbox SET delivered_at = now(), attempts = attempts + 1 WHERE id = ANY(:ids)")


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        deliver: Deliver,
        *,
        batch_size: int | Callable[[], int] = 50,
        poll_seconds: float = 1.0,
        base_backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 300.0,
        topics: Collection[str] | None = None,
        skip_topics: Collection[str] | None = None,
        concurrent: bool = False,
        deliver_batch: DeliverBatch | None = None,
        linger_seconds: float = 0.0,
    ) -> None:
        """``topics``: claim only these; ``skip_topics``: claim all but these (a service that runs some of its
        own messages as local jobs keeps them apart from the events it delivers elsewhere). ``concurrent``: the
        messages of a batch are handled at once, not one after another — for independent jobs that wait on other
        systems (a register answering in 200 ms); events to one receiver keep their order and stay sequential.
        ``batch_size`` may be a function, asked before each pass: background jobs that take fewer at once while
        the service is busy answering people (with ``concurrent``, the batch is how many run at once)."""
        self.sessions = sessions
        self.deliver = deliver
        self._batch_size = batch_size if callable(batch_size) else (lambda: batch_size)
        self.poll_seconds = poll_seconds
        self.base_backoff = base_backoff_seconds
        self.max_backoff = max_backoff_seconds
        self.topics = sorted(topics) if topics is not None else None
        self.skip_topics = sorted(skip_topics) if skip_topics is not None else None
        self.concurrent = concurrent
        self.deliver_batch = deliver_batch
        # After a wake, wait this long before claiming, so the commits of a busy moment go in one batch (one call
        # to the receiver for many events) instead of one each; at most this much later when it is quiet.
        self.linger_seconds = linger_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Call after committing an enqueue to deliver now instead of at the next poll."""
        self._wake.set()

    @property
    def batch_size(self) -> int:
        """How many messages the next pass claims."""
        return max(1, self._batch_size())

    async def run_once(self, limit: int | None = None) -> int:
        """Deliver one batch of due messages (at most ``limit``, else ``batch_size``). Returns how many were
        delivered."""
        delivered: list[uuid.UUID] = []
        async with self.sessions() as session, session.begin():
            rows = (await session.execute(_CLAIM, {"limit": limit or self.batch_size, "only": self.topics,
                                                     "skip": self.skip_topics})).mappings().all()
            sealer = sealer_of(session)

            async def attempt(row: Any) -> Exception | None:
                try:
                    # A payload that will not open (a key removed too early) is retried like a failed delivery.
                    with tracing.continued(row["trace_context"], f"outbox deliver {row['topic']}"):
                        await self.deliver(_opened_row(sealer, row))
                except Exception as exc:
                    return exc
                return None

            if self.deliver_batch is not None and rows:
                outcomes = await self._attempt_batch(sealer, rows)
            elif self.concurrent:
                outcomes = await asyncio.gather(*(attempt(row) for row in rows))
            else:
                outcomes = [await attempt(row) for row in rows]
            for row, exc in zip(rows, outcomes, strict=True):
                if exc is None:
                    delivered.append(row["id"])
                    continue
                attempts = row["attempts"] + 1
                delay = min(self.base_backoff * 2 ** (attempts - 1), self.max_backoff)
                log.warning("outbox delivery failed", extra={
                    "message_id": str(row["id"]), "topic": row["topic"],
                    "attempts": attempts, "error": type(exc).__name__})
                await session.execute(
                    text("UPDATE outbox SET attempts = :a, last_error = :e, "
                         "available_at = now() + make_interval(secs => :d) WHERE id = :id"),
                    {"a": attempts, "e": f"{type(exc).__name__}: {exc}"[:500], "d": delay,
                     "id": row["id"]},
                )
            if delivered:
                # One statement for the batch: it commits with the claim, as one per message did.
                await session.execute(_DELIVERED, {"ids": delivered})
        return len(delivered)

    async def _attempt_batch(self, sealer: Sealer, rows: list[Any]) -> list[Exception | None]:
        """The claimed rows through ``deliver_batch`` in one call, in order. A payload that will not open fails
        alone; the batch failing as a whole fails each of its messages."""
        assert self.deliver_batch is not None
        outcomes: list[Exception | None] = [None] * len(rows)
        messages: list[OutboxMessage] = []
        sent: list[int] = []
        for i, row in enumerate(rows):
            try:
                messages.append(_opened_row(sealer, row))
                sent.append(i)
            except Exception as exc:
                outcomes[i] = exc
        if not messages:
            return outcomes
        try:
            # One span for the call, continuing the first message's trace (a span has one parent).
            with tracing.continued(rows[sent[0]]["trace_context"], f"outbox deliver batch {len(messages)}"):
                answered = await self.deliver_batch(messages)
            if len(answered) != len(messages):
                raise RuntimeError(f"deliver_batch answered {len(answered)} outcomes for {len(messages)} messages")
        except Exception as exc:
            answered = [exc] * len(messages)
        for i, outcome in zip(sent, answered, strict=True):
            outcomes[i] = outcome
        return outcomes

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # Cleared before the pass, not after: a commit that lands after the pass's claim wakes the next pass
            # (cleared after, its wake was lost and its message waited for the poll).
            self._wake.clear()
            limit = self.batch_size
            try:
                delivered = await self.run_once(limit)
            except Exception:
                log.exception("outbox relay pass failed")
                delivered = 0
            if delivered >= limit:
                continue  # more may be waiting
            waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())}
            _, pending = await asyncio.wait(waiters, timeout=self.poll_seconds,
                                            return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if self.linger_seconds > 0 and self._wake.is_set() and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.linger_seconds)




Envelope = Callable[[OutboxMessage], tuple[Any, dict[str, Any]]]


def _as_written(message: OutboxMessage) -> tuple[Any, dict[str, Any]]:
    return (message.created_at.isoformat() if message.created_at else None), message.payload


class EventRefused(Exception):
    """The receiver refused one event of a batch (its problem ``type``): kept and tried again, as a non-2xx."""

    def __init__(self, problem_type: str, status: int | None) -> None:
        super().__init__(f"the receiver refused it: {problem_type} ({status})")
        self.problem_type = problem_type


BATCH_PATH = "/events/batch"
BATCH_MAX = 100  # contracts.events.EVENT_BATCH_MAX (kit reads no contract): a longer batch goes in parts


class EventDelivery:
    """Deliver outbox messages to another service as events: ``POST {client.base_url}/events`` with
    ``{id, topic, occurred_at, payload}`` and ``Idempotency-Key: <id>``, so the receiver takes each in once.
    ``batch`` delivers a relay's claimed batch in one ``POST /events/batch`` (``{"events": [...]}``, each event
    keyed by its id the same way); give it to OutboxRelay as ``deliver_batch``.
    ``envelope`` says where a message keeps its time and payload (default: its created_at and payload).
    Any answer but 2xx raises: the relay keeps the message and tries again later, so nothing is lost silently.
    Without a client (the receiver's URL is not configured), messages wait in the outbox. ``client``: a
    kit.http.JsonPoster (the cheap one, for a busy outbox) or an httpx client."""

    def __init__(self, client: httpx.AsyncClient | JsonPoster | None, envelope: Envelope = _as_written) -> None:
        self.client = client
        self.envelope = envelope

    async def __call__(self, message: OutboxMessage) -> None:
        if self.client is None:
            raise RuntimeError("no receiver configured")
        body = self._event(message)
        headers = {"Idempotency-Key": str(message.id)}
        if isinstance(self.client, JsonPoster):
            status = await self.client.post("/events", body, headers)
        else:
            status = (await self.client.post("/events", json=body, headers=headers)).status_code
        if status >= 300:
            raise RuntimeError(f"the receiver answered {status}")
        log.info("event delivered", extra={"event_id": str(message.id), "topic": message.topic})

    def _event(self, message: OutboxMessage) -> dict[str, Any]:
        occurred_at, payload = self.envelope(message)
        event = {"id": str(message.id), "topic": message.topic, "occurred_at": occurred_at, "payload": payload}
        if message.trace_context:  # (tracing on): in a batch, the receiver continues each event's own trace
            event["trace"] = message.trace_context
        return event

    async def batch(self, messages: list[OutboxMessage]) -> list[Exception | None]:
        """The messages in order, in one request per BATCH_MAX. Per message: None when the receiver took it in
        (accepted, ignored, or a duplicate of an earlier delivery), else why not (refused: EventRefused with the
        problem type; the whole request failed: that error for each). A receiver without the batch path (404 or
        405: an older version during a rollout) gets them one by one."""
        out: list[Exception | None] = []
        for start in range(0, len(messages), BATCH_MAX):
            out.extend(await self._batch(messages[start:start + BATCH_MAX]))
        return out

    async def _batch(self, messages: list[OutboxMessage]) -> list[Exception | None]:
        if self.client is None:
            return [RuntimeError("no receiver configured")] * len(messages)
        events = [self._event(m) for m in messages]
        body = {"events": events}
        if isinstance(self.client, JsonPoster):
            status, raw = await self.client.exchange(BATCH_PATH, body)
        else:
            response = await self.client.post(BATCH_PATH, json=body)
            status, raw = response.status_code, response.content
        if status in (404, 405):
            return [await self._one(m) for m in messages]
        if status >= 300:
            return [RuntimeError(f"the receiver answered {status}")] * len(messages)
        results = orjson.loads(raw)["results"]
        if [r.get("id") for r in results] != [e["id"] for e in events]:
            raise RuntimeError("the receiver's results do not match the batch")
        out: list[Exception | None] = []
        for message, result in zip(messages, results, strict=True):
            if result.get("status") in ("accepted", "ignored", "duplicate"):
                out.append(None)
                log.info("event delivered", extra={"event_id": str(message.id), "topic": message.topic})
                continue
            problem = result.get("problem") or {}
            refused = EventRefused(str(problem.get("type", "unknown")), problem.get("status"))
            log.warning("event refused by the receiver", extra={"event_id": str(message.id), "topic": message.topic,
                                                                "problem_type": refused.problem_type})
            out.append(refused)
        return out

    async def _one(self, message: OutboxMessage) -> Exception | None:
        try:
            await self(message)
        except Exception as exc:
            return exc
        return None
