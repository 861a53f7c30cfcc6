"""POST /internal/letters on the service that owns a letter's content: the letter as a PDF, for messaging's post room.

A client who wants letters (their contact says so, set by them or by staff) gets, for the request for more
information, the decision, and a meeting booked, moved or cancelled, a letter in their language. Messaging decides
*that* a letter goes (it holds the client's channels and language) and collects the letters of a day into the batch
file for the municipality's print-and-post service; the service that owns the content (applications for
``application.*``, meetings for ``meeting.*``) renders it, because only it holds what the letter says.

The envelope rule: nothing outside the PDF says what the letter is about. The batch manifest names the recipient,
the postal address and the page count, never the kind, the unit, "socialtjänsten" or the content.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import Base64Bytes, BaseModel, ConfigDict, Field

from values.personal_number import PersonalNumber

PATH = "/internal/letters"
MAX_PDF_BYTES = 2 * 1024 * 1024


class LetterKind(StrEnum):
    INFO_REQUESTED = "info_requested"      # applications: what we need from you, by when, how to send it on paper
    DECISION = "decision"                  # applications: the decision letter with reasons and how to appeal
    MEETING_BOOKED = "meeting_booked"      # meetings: when, where or how, how to change it
    MEETING_CHANGED = "meeting_changed"
    MEETING_CANCELLED = "meeting_cancelled"


APPLICATION_KINDS = frozenset({LetterKind.INFO_REQUESTED, LetterKind.DECISION})
MEETING_KINDS = frozenset({LetterKind.MEETING_BOOKED, LetterKind.MEETING_CHANGED, LetterKind.MEETING_CANCELLED})


class LetterRequest(BaseModel):
    """Asked with a service token (messaging only). The owner answers 404 unless ``recipient`` is a party to
    ``ref`` (the case or booking), the same 404 for an unknown ``ref``."""

    model_config = ConfigDict(extra="forbid")

    event_id: UUID = Field(description="The outbox event the letter answers (for the owner's audit).")
    kind: LetterKind
    ref: UUID = Field(description="The case id (application kinds) or booking id (meeting kinds).")
    recipient: PersonalNumber
    language: str = Field(min_length=2, max_length=3, pattern=r"^[a-z]{2,3}$",
                          description="A catalog language; an unknown one gets Swedish.")


class LetterDocument(BaseModel):
    kind: LetterKind
    language: str = Field(description="The language the letter is written in.")
    direction: str = Field(pattern=r"^(ltr|rtl)$")
    pages: int = Field(ge=1)
    pdf: Base64Bytes = Field(max_length=MAX_PDF_BYTES * 2)
