"""Masking personnummer in text that leaves the process (log lines, trace spans): the last line of defence."""

from __future__ import annotations

import re

from personnummer import personnummer as _pnr

# A personnummer or samordningsnummer in any of its written forms, not inside a longer run of digits.
_PNR_LIKE = re.compile(r"(?<![0-9])(?:[0-9]{2})?[0-9]{6}[-+]?[0-9]{4}(?![0-9])")
REDACTED = "[personnummer]"


def _mask(match: re.Match[str]) -> str:
    return REDACTED if _pnr.valid(match.group(0)) else match.group(0)


def redact(text: str) -> str:
    """Masks every valid personnummer: the last line of defence when an exception or a library quotes one
    (a database error's DETAIL, a validation message). What code logs on purpose never names people."""
    return _PNR_LIKE.sub(_mask, text)
