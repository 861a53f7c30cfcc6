"""POST /internal/subject-access: one service's part of a client's registerutdrag (GDPR art. 15).

The applications service (the owner of Mina sidor) asks every service with its service token; each answers for
its own data about the person, only what that person may see there, in sections a reader and a PDF both
understand: each item a heading and labelled entries (with a stable ``key`` for machines and a ``kind`` that says
how to show the value), nested items for what belongs to it (a case's calculation lines, a thread's messages).
The personnummer travels in the body, never in a URL.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from values.personal_number import PersonalNumber

PATH = "/internal/subject-access"

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
Scalar = str | int | bool | None
# How a value is shown: text as it is, kronor as money (integer), time/date as ISO 8601 in Swedish time.
Kind = Literal["text", "kronor", "time", "date", "number", "bool"]


class Text(BaseModel):
    """A label in both languages of the service."""

    sv: str = Field(max_length=500)
    en: str = Field(max_length=500)


class Entry(BaseModel):
    key: Key
    label: Text
    value: Scalar
    kind: Kind = "text"


class Item(BaseModel):
    id: str | None = Field(default=None, max_length=100, description="The thing's own id in its service.")
    heading: Text
    entries: list[Entry] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list, description="What belongs to it (lines, messages, rows).")


class Section(BaseModel):
    key: Key
    title: Text
    items: list[Item] = Field(default_factory=list)
    note: Text | None = Field(default=None, description="What the section holds and what it leaves out, and why.")


class SubjectAccessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    personal_number: PersonalNumber = Field(description="The person the extract is about (12 or 10 digits).")
    requested_by: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Who asked: 'client' (on Mina sidor) or the staff member's subject (a request on paper).")
    request_id: uuid.UUID = Field(description="The registerutdrag's id in applications: the audit rows name it.")


class SubjectAccessAnswer(BaseModel):
    service: Key
    generated_at: AwareDatetime
    sections: list[Section]


def text(sv: str, en: str) -> Text:
    return Text(sv=sv, en=en)


def entry(key: str, sv: str, en: str, value: Scalar, kind: Kind = "text") -> Entry:
    return Entry(key=key, label=Text(sv=sv, en=en), value=value, kind=kind)


STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def local_time(moment: dt.datetime | None) -> str | None:
    """Times in an extract: ISO 8601 in Swedish time (the offset says +01:00 / +02:00)."""
    return moment.astimezone(STOCKHOLM).isoformat() if moment is not None else None


def audit_section(rows: list[dict[str, Any]], *, key: str = "audit") -> Section:
    """The service's audit rows about the person (kit.audit.entries_about): when, which role of which unit, did
    what to which kind of record, and why. Staff are named by role and unit, not by name or id."""
    return Section(
        key=key, title=text("Vem har läst eller ändrat dina uppgifter", "Who read or changed your data"),
        note=text("Personal anges med roll och enhet.", "Staff are shown by role and unit."),
        items=[Item(heading=text(f"{r['action']} {r['resource_type']}", f"{r['action']} {r['resource_type']}"),
                    entries=[entry("at", "Tid", "Time", local_time(r["at"]), "time"),
                             entry("role", "Roll", "Role", r["actor_roles"]),
                             entry("unit", "Enhet", "Unit", r["actor_unit"]),
                             entry("action", "Åtgärd", "Action", r["action"]),
                             entry("record", "Uppgift", "Record", r["resource_type"]),
                             entry("purpose", "Syfte", "Purpose", r["purpose"])])
               for r in rows])
