"""The tables every service keeps: an append-only audit log and a transactional outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Identity, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

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
