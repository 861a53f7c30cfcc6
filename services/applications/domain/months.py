"""Month names for periods ("2026-12" -> "december 2026" / "December 2026"), without depending on the OS locale."""

from __future__ import annotations

from typing import Literal

_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
       "november", "december")
_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
       "November", "December")


def month_name(period: str, lang: Literal["sv", "en"] = "sv") -> str:
    year, month = period.split("-")
    return f"{(_SV if lang == 'sv' else _EN)[int(month) - 1]} {year}"
