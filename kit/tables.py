"""The tables every service keeps: an append-only audit log, a transactional outbox and the idempotency keys.

Defined once, here: the code maps them, and each service's migrations create them from these definitions
(kit.migrations.create_kit_tables).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_resource", "resource_type", "resource_id"),
                      Index("ix_audit_log_actor_at", "actor", "at"))

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False,
                                             server_default=func.now()))
    actor: str = Field(sa_column=Column(Text, nullable=False))
    actor_roles: str = Field(sa_column=Column(Text, nullable=False))
    actor_unit: str | None = Field(default=None, sa_column=Column(Text))
    action: str = Field(sa_column=Column(Text, nullable=False))
    resource_type: str = Field(sa_column=Column(Text, nullable=False))
    resource_id: str | None = Field(default=None, sa_column=Column(Text))
    subject: str | None = Field(default=None, sa_column=Column(Text))
    purpose: str | None = Field(default=None, sa_column=Column(Text))
    request_id: str | None = Field(default=None, sa_column=Column(Text))
    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "available_at", postgresql_where=text("delivered_at IS NULL")),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4,
                          sa_column=Column(UUID(as_uuid=True), primary_key=True))
    topic: str = Field(sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False,
                                                     server_default=func.now()))
    available_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False,
                                                       server_default=func.now()))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    delivered_at: dt.datetime | None = Field(default=None,
                                             sa_column=Column(DateTime(timezone=True)))
    # W3C trace headers of the change that wrote the event (no personal data): the delivery continues that trace.
    trace_context: dict[str, str] | None = Field(default=None, sa_column=Column(JSONB))


class IdempotencyRecord(SQLModel, table=True):
    """A claimed Idempotency-Key and, once the request completed, its answer (kit.idempotency)."""

    __tablename__ = "idempotency_keys"

    scope: str = Field(sa_column=Column(Text, primary_key=True))
    key: str = Field(sa_column=Column(Text, primary_key=True))
    request_hash: str = Field(sa_column=Column(Text, nullable=False))
    status: int | None = Field(default=None, sa_column=Column(Integer))
    body: Any = Field(default=None, sa_column=Column(JSONB))
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False,
                                                     server_default=func.now()))
