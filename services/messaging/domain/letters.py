"""Letters for clients without digital access (the post room): pure rules.

A client whose contact has the ``letter`` channel (set by them, or by staff for a client who asks on paper or at a
visit) gets a letter for the request for more information, the decision, and a meeting booked, moved or cancelled
— never for a message or a reminder. The service that owns the content renders the PDF (contracts.letters:
applications for ``application.*``, meetings for ``meeting.*``); we keep it sealed, by the day it was fetched
(Swedish date), until the municipality's print-and-post service collects the day's batch.

The envelope rule: nothing outside the PDF says what the letter is about. The batch's file names are opaque ids,
its manifest names the recipient, the address, the page count and a checksum — never the kind, the unit,
"socialtjänsten", "ekonomiskt bistånd" or any content — and the return address is a neutral one.

Protected identity (the population register marks the person, our own copy does, or the register gives no address):
the letter goes through Skatteverket's mail forwarding — the outer envelope to Skatteverket, the inner one with the
recipient's name and personnummer — never to a guessed address.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from contracts.letters import APPLICATION_KINDS, LetterKind
from contracts.registers import PopulationRecord
from services.messaging.domain.notify import Kind

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# The notification kinds a letter goes for (not a message, not a reminder).
LETTER_KINDS: dict[Kind, LetterKind] = {
    Kind.INFO_REQUESTED: LetterKind.INFO_REQUESTED,
    Kind.DECISION: LetterKind.DECISION,
    Kind.MEETING_BOOKED: LetterKind.MEETING_BOOKED,
    Kind.MEETING_CHANGED: LetterKind.MEETING_CHANGED,
    Kind.MEETING_CANCELLED: LetterKind.MEETING_CANCELLED,
}

APPLICATIONS = "applications"
MEETINGS = "meetings"

# Who may collect the batches: an administrator, or a person the IdP gives this permission (the print-and-post
# operator). A client never, whatever their token says.
PRINT_PERMISSION = "letters:print"
ADMIN = "admin"
CLIENT = "client"

# Words that must never stand outside the envelope (the manifest, the return address): what a letter is about.
_TELLING = re.compile(r"social|bistånd|bistand|försörjning|forsorjning|beslut|decision|möte|meeting|komplett"
                      r"|info_requested|ärende|arende", re.IGNORECASE)


def letter_kind(kind: Kind | None) -> LetterKind | None:
    """The letter an event's kind calls for, or None (a message, a reminder, an event that tells nobody)."""
    return None if kind is None else LETTER_KINDS.get(kind)


def owner(kind: LetterKind) -> str:
    """The service that renders the letter: the one that holds what it says."""
    return APPLICATIONS if kind in APPLICATION_KINDS else MEETINGS


def batch_day(at: dt.datetime) -> dt.date:
    """The batch a letter fetched at ``at`` belongs to: the Swedish date, whatever the server's zone."""
    return at.astimezone(STOCKHOLM).date()


def may_print(roles: frozenset[str], permissions: frozenset[str]) -> bool:
    return CLIENT not in roles and (ADMIN in roles or PRINT_PERMISSION in permissions)


def tells_content(text: str) -> bool:
    """Does this text (a return address, a manifest field) say what a letter is about?"""
    return bool(_TELLING.search(text)) or any(k.value in text.lower() for k in LetterKind)


def split_lines(spec: str) -> tuple[str, ...]:
    """``"Kommunen;Box 1;123 45 Kommunstad"`` → the address lines (a setting cannot hold newlines well)."""
    return tuple(part.strip() for part in spec.split(";") if part.strip())


@dataclass(frozen=True)
class PostalAddress:
    lines: tuple[str, ...]  # name or organisation, street or box
    postal_code: str
    city: str

    @classmethod
    def parse(cls, spec: str) -> PostalAddress:
        """``"Skatteverket;Box 2820;403 20 Göteborg"``: the last line is postal code and city."""
        lines = split_lines(spec)
        match = re.fullmatch(r"(\d{3} ?\d{2})\s+(.+)", lines[-1]) if lines else None
        if match is None or len(lines) < 2:
            raise ValueError(f"write an address as 'line;line;123 45 City', not {spec!r}")
        return cls(lines[:-1], match.group(1), match.group(2))

    def one_line(self) -> str:
        return ", ".join((*self.lines, f"{self.postal_code} {self.city}"))


@dataclass(frozen=True)
class Envelope:
    """What goes on the envelope. ``forwarded``: the outer envelope goes to Skatteverket's mail forwarding with the
    inner one marked with ``recipient_name`` and ``personal_number`` (as Skatteverket asks); else the
    recipient's registered address, and no personnummer anywhere."""

    recipient_name: str
    address_lines: tuple[str, ...]
    postal_code: str
    city: str
    forwarded: bool
    personal_number: str = ""

    def __repr__(self) -> str:  # names and addresses never end up in a log line
        return f"Envelope(forwarded={self.forwarded})"


def envelope(personal_number: str, record: PopulationRecord | None, *, protected_in_copy: bool,
             forwarding: PostalAddress) -> Envelope:
    """The envelope for one letter, from the population register's record (None: the person was not found)."""
    name = (record.name if record is not None else None) or ""
    if record is None or not record.found or record.protected or protected_in_copy or record.address is None:
        return Envelope(name, forwarding.lines, forwarding.postal_code, forwarding.city, forwarded=True,
                        personal_number=personal_number)
    address = record.address
    return Envelope(name, (name, address.street) if name else (address.street,), address.postal_code,
                    address.city, forwarded=False)


@dataclass(frozen=True)
class ManifestEntry:
    file: str
    envelope: Envelope
    pages: int
    sha256: str

    def as_json(self) -> dict[str, object]:
        e = self.envelope
        return {"file": self.file, "recipient_name": e.recipient_name, "address_lines": list(e.address_lines),
                "postal_code": e.postal_code, "city": e.city, "pages": self.pages, "sha256": self.sha256,
                "delivery": "forwarded" if e.forwarded else "direct",
                "inner_envelope_personal_number": e.personal_number}


def file_name(letter_id: object) -> str:
    """An opaque name: the letter's id, never the person, the kind or the date."""
    return f"{getattr(letter_id, 'hex', str(letter_id))}.pdf"


CSV_COLUMNS = ("file", "recipient_name", "address_line_1", "address_line_2", "address_line_3", "postal_code", "city",
               "pages", "sha256", "delivery", "inner_envelope_personal_number", "return_address")


def _cell(value: object) -> object:
    """A spreadsheet opening the manifest must not run a name as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def manifest_csv(entries: Sequence[ManifestEntry], return_address: PostalAddress) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        row = entry.as_json()
        lines = [*entry.envelope.address_lines, "", "", ""][:3]
        writer.writerow([_cell(v) for v in (
            row["file"], row["recipient_name"], *lines, row["postal_code"], row["city"], row["pages"], row["sha256"],
            row["delivery"], row["inner_envelope_personal_number"], return_address.one_line())])
    return out.getvalue()


def manifest_json(day: dt.date, entries: Iterable[ManifestEntry], return_address: PostalAddress) -> dict[str, object]:
    listed = [e.as_json() for e in entries]
    return {"day": day.isoformat(), "letters": len(listed),
            "return_address": {"lines": list(return_address.lines), "postal_code": return_address.postal_code,
                               "city": return_address.city},
            "items": listed}
