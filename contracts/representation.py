"""Ombud: a representative (god man, förvaltare, or someone the client authorised) acting for a client.

Staff register a representation in applications: the client, the representative, the kind, the scopes and an end
date. The representative logs in with their own e-ID (their own token) and names the representation they act
under in the ``X-Representation`` header. Each service resolves it (applications in its own database, the others
by ``POST /internal/representations/resolve`` on applications, cached for at most ``CACHE_SECONDS``) into a caller
who *is* the client for what the scope allows and nothing more, with the representative recorded as the actor in
every audit row and history entry.

Unknown, someone else's, not yet started, ended or revoked: the same 404, so a caller learns nothing from the
difference. A route outside the scopes: 403 (the representation is theirs; they may know its scope).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from values.personal_number import PersonalNumber

HEADER = "X-Representation"
RESOLVE_PATH = "/internal/representations/resolve"
CACHE_SECONDS = 60


class RepresentationKind(StrEnum):
    GOD_MAN = "god_man"          # appointed by the court (föräldrabalken 11 kap. 4 §)
    FORVALTARE = "forvaltare"    # appointed by the court (föräldrabalken 11 kap. 7 §)
    FULLMAKT = "fullmakt"        # authorised by the client in writing


class Scope(StrEnum):
    READ = "read"                # see the client's cases, decisions, documents list, look-ups, register extract
    APPLY = "apply"              # make, sign and submit applications, answer requests, add documents
    MESSAGES = "messages"        # read and send messages in the client's threads
    MEETINGS = "meetings"        # book, move and cancel the client's meetings


class ResolveRequest(BaseModel):
    """With a service token (messaging, meetings)."""

    model_config = ConfigDict(extra="forbid")

    representation_id: UUID
    representative: PersonalNumber = Field(description="The caller's own personnummer, from their token.")


class Resolved(BaseModel):
    representation_id: UUID
    client: str = Field(description="The client's personnummer (12 digits).")
    kind: RepresentationKind
    scopes: list[Scope]
    valid_until: dt.date = Field(description="The last day the representation holds (Europe/Stockholm).")
