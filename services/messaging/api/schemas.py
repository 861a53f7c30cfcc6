"""Wire models (separate from the tables). Text is always plain text: ``format`` says so, nothing renders it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from services.messaging.domain.access import Side
from services.messaging.service.attachments import AttachmentMeta
from services.messaging.service.threads import MessageRecord, ThreadRecord
from values.personal_number import PersonalNumber

Unit = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
# Generous caps for the parser; the domain applies the real limits with stable problem types.
LongText = Annotated[str, StringConstraints(max_length=200_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThreadCreate(Strict):
    subject: Annotated[str, StringConstraints(max_length=2_000)]
    unit: Unit | None = None
    case_id: uuid.UUID | None = None
    personal_number: PersonalNumber | None = Field(
        default=None, description="Staff only: the client a general thread is with (when there is no case).")
    protected_identity: bool = Field(default=False, description="Staff only: the client has protected identity.")
    body: LongText | None = Field(default=None, description="An optional first message (text only).")


class MessageCreate(Strict):
    body: LongText
    attachment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class ReadIn(Strict):
    up_to_seq: int | None = Field(default=None, ge=0, description="Default: everything in the thread so far.")


class AssignIn(Strict):
    to: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        description="The caseworker (token subject) to hand the thread to; null puts it back in the unit inbox.")


class AbsenceIn(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    substitute: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class AbsenceOut(AbsenceIn):
    pass


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    sent: bool

    @classmethod
    def of(cls, meta: AttachmentMeta) -> AttachmentOut:
        return cls(id=meta.id, filename=meta.filename, media_type=meta.media_type, size=meta.size,
                   sha256=meta.sha256, sent=meta.message_id is not None)


class MessageOut(BaseModel):
    id: uuid.UUID
    thread_id: uuid.UUID
    seq: int
    side: Side
    sender_name: str | None
    sender: str | None = Field(description="The sender's subject (staff view only).")
    mine: bool
    body: str | None = Field(description="Plain text; null when retracted.")
    format: Literal["text/plain"] = "text/plain"
    created_at: dt.datetime
    retracted: bool
    retracted_at: dt.datetime | None
    retractable_until: dt.datetime | None
    read_at: dt.datetime | None = Field(description="When the other side first read it (for a client's own "
                                                    "message: read by the caseworker at).")
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, m: MessageRecord, *, caller_sub: str, staff_view: bool, window: dt.timedelta) -> MessageOut:
        mine = m.sender_sub == caller_sub
        return cls(
            id=m.id, thread_id=m.thread_id, seq=m.seq, side=m.sender_side, sender_name=m.sender_name,
            sender=m.sender_sub if staff_view else None, mine=mine, body=m.body, created_at=m.created_at,
            retracted=m.retracted_at is not None, retracted_at=m.retracted_at,
            retractable_until=m.created_at + window if mine and m.retracted_at is None else None,
            read_at=m.read_at, attachments=[AttachmentOut.of(a) for a in m.attachments])


class ThreadOut(BaseModel):
    id: uuid.UUID
    unit: str
    case_id: uuid.UUID | None
    subject: str
    created_at: dt.datetime
    last_message_at: dt.datetime | None
    last_seq: int
    unread: int
    side: Side
    assigned_to: str | None = Field(default=None, description="Staff view: who has the thread (null: the unit "
                                                              "inbox).")
    working_on_it: str | None = Field(default=None, description="Staff view: the assignee, or their substitute "
                                                                "while they are away.")
    protected_identity: bool | None = Field(default=None, description="Staff view only.")

    @classmethod
    def of(cls, t: ThreadRecord, side: Side) -> ThreadOut:
        staff = side is Side.STAFF
        return cls(id=t.id, unit=t.unit, case_id=t.case_id, subject=t.subject, created_at=t.created_at,
                   last_message_at=t.last_message_at, last_seq=t.last_seq, unread=t.unread, side=side,
                   assigned_to=t.assigned_to if staff else None,
                   working_on_it=t.effective_assignee if staff else None,
                   protected_identity=t.protected_identity if staff else None)


class ReadOut(BaseModel):
    thread_id: uuid.UUID
    last_read_seq: int
    newly_read: int


class UnreadOut(BaseModel):
    total: int
    threads: dict[str, int] | None = Field(default=None, description="Client: unread per thread.")
    mine: int | None = Field(default=None, description="Staff: unread in threads I work on.")
    unit_inbox: dict[str, int] | None = Field(default=None, description="Staff: unread in each unit inbox.")


class ContactIn(Strict):
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    channels: list[Literal["sms", "email", "letter"]] = Field(default_factory=list, max_length=3)
    language: Literal["sv", "en", "ar"] = Field(default="sv", description="The notifications' language (kit.i18n).")


class StaffContactIn(ContactIn):
    personal_number: PersonalNumber


class ContactOut(BaseModel):
    phone: str | None
    email: str | None
    channels: list[str]
    language: str
    direction: Literal["ltr", "rtl"] = Field(description="The language's text direction (rtl for Arabic).")


class LetterBatchDay(BaseModel):
    day: dt.date = Field(description="The Swedish date the letters were made.")
    letters: int
    pages: int
    collected: bool = Field(description="The batch has been fetched at least once.")


class LetterBatchList(BaseModel):
    batches: list[LetterBatchDay]
