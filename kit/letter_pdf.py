"""The page layout of a paper letter (fpdf2), shared by the services that write letters; the words are theirs.

A4, sender block at the top with the date, then the window-envelope address area, left EMPTY: the post room prints
the address on the envelope or its cover sheet from the population register, so the PDF holds no address (and a
letter to someone with protected identity holds nothing that leads to them). Below it the heading and the body in
the client's language, and "page n of m" on every page.

Right-to-left languages (Arabic …) are shaped with HarfBuzz (``set_text_shaping``) and set right-aligned; that
needs a Unicode TrueType font with the script's glyphs (DejaVu Sans covers Latin and Arabic). Without a font a
left-to-right letter falls back to the core Helvetica font (latin-1; other letters print as '?'), a right-to-left
one cannot be written (``LetterFontMissing``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Callable, Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kit.i18n import Direction

MARGIN = 20.0  # mm, left and right
TOP = 15.0
# The address area of a window envelope (the position of DIN 5008 form B: left 20 mm, from 45 mm down, 90 x 45 mm;
# if the print-and-post service's envelopes differ, this is the one place to change). Nothing is printed in it.
ADDRESS_WINDOW = (20.0, 45.0, 90.0, 45.0)
BODY_TOP = ADDRESS_WINDOW[1] + ADDRESS_WINDOW[3] + 8.0
FOOTER_FROM_BOTTOM = 12.0

_GROUPED_NUMBER = re.compile(r"(?<![\w\u200e-])\d+(?:[ \u00a0-]\d+)+(?![\w-])")
LRM = "\u200e"


def left_to_right(text: str) -> str:
    """A code or reference (a case id, a booking reference) kept as one left-to-right run wherever it stands."""
    return f"{LRM}{text}{LRM}"


_PUNCTUATION = str.maketrans({
    "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
})


def first_strong_rtl(text: str) -> bool | None:
    """Whether a text's first strongly directed letter is right-to-left (None: it has none, e.g. digits only)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return False
        if kind in ("R", "AL"):
            return True
    return None


class LetterFontMissing(RuntimeError):
    """A right-to-left letter needs a Unicode font and none is configured (or the file is gone)."""


def bold_variant(font_path: str) -> str | None:
    """``DejaVuSans.ttf`` -> ``DejaVuSans-Bold.ttf`` when that file is there."""
    root, ext = os.path.splitext(font_path)
    candidate = f"{root}-Bold{ext}"
    return candidate if os.path.isfile(candidate) else None


class LetterPdf:
    """One letter. Write the parts in order (``sender``, ``heading``, ``paragraph`` …), then ``finish``."""

    def __init__(self, *, font_path: str | None, direction: Direction, title: str, author: str,
                 created: dt.datetime) -> None:
        self.rtl = direction == "rtl"
        self.unicode = bool(font_path and os.path.isfile(font_path))
        if self.rtl and not self.unicode:
            raise LetterFontMissing("a right-to-left letter needs a Unicode TrueType font")
        pdf = FPDF(format="A4")
        pdf.set_creation_date(created)  # the same letter renders to the same bytes
        if self.unicode:
            assert font_path is not None
            pdf.add_font("body", "", font_path)
            pdf.add_font("body", "B", bold_variant(font_path) or font_path)
            pdf.set_text_shaping(True, direction="rtl" if self.rtl else "ltr")
        pdf.set_title(self._clean(title))
        pdf.set_author(self._clean(author))
        pdf.set_margins(MARGIN, TOP, MARGIN)
        pdf.set_auto_page_break(auto=True, margin=FOOTER_FROM_BOTTOM + 10)
        pdf.add_page()
        self.pdf = pdf
        self.align = "R" if self.rtl else "L"

    # --- text ------------------------------------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        if self.unicode:
            # A number in groups (12 345 kr, 0123-45 67 89, 111 22) in a right-to-left paragraph would have its
            # groups reordered; marked left-to-right at both ends (LRM) it stays one run, read as written.
            return _GROUPED_NUMBER.sub("\u200e\\g<0>\u200e", text) if self.rtl else text
        return text.translate(_PUNCTUATION).encode("latin-1", errors="replace").decode("latin-1")

    def _font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font("body" if self.unicode else "helvetica", style="B" if bold else "", size=size)

    def _lines(self, text: str, size: float, bold: bool = False, align: str | None = None) -> None:
        self._font(size, bold)
        self.pdf.multi_cell(0, size * 0.5, self._clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                            align=align or self.align)

    # --- the parts of a letter ---------------------------------------------------------------------------------

    def sender(self, lines: Sequence[str], date_line: str) -> None:
        """The sender block and the date at the top; the address window below it stays empty."""
        pdf = self.pdf
        pdf.set_xy(MARGIN, TOP)
        for i, line in enumerate(lines):
            self._lines(line, 10 if i == 0 else 9, bold=i == 0)
        pdf.set_xy(MARGIN, TOP)
        self._lines(date_line, 9, align="L" if self.rtl else "R")
        pdf.set_xy(MARGIN, BODY_TOP)

    def heading(self, text: str, size: float = 14) -> None:
        self._lines(text, size, bold=True)
        self.pdf.ln(2)

    def subheading(self, text: str) -> None:
        self.pdf.ln(2)
        self._lines(text, 11, bold=True)
        self.pdf.ln(1)

    def paragraph(self, text: str, *, bold: bool = False, size: float = 10) -> None:
        self._lines(text, size, bold=bold)
        self.pdf.ln(1.5)

    def verbatim(self, text: str) -> None:
        """Text as a person wrote it (a caseworker's message or reasons), in whatever language: set in its own
        direction, from its first letter (Swedish in an Arabic letter reads left to right, left-aligned)."""
        rtl = first_strong_rtl(text)
        if not self.unicode or rtl is None or rtl == self.rtl:
            self.paragraph(text)
            return
        self.pdf.set_text_shaping(True, direction="rtl" if rtl else "ltr")
        try:
            self._lines(text, 10, align="R" if rtl else "L")
        finally:
            self.pdf.set_text_shaping(True, direction="rtl" if self.rtl else "ltr")
        self.pdf.ln(1.5)

    def bullet(self, text: str) -> None:
        self._lines(f"\u2022 {text}" if self.unicode else f"- {text}", 10)
        self.pdf.ln(0.5)

    def row(self, cells: Sequence[tuple[str, float]], *, bold: bool = False, rule: bool = False) -> None:
        """A table row: (text, width in mm) from the reading start; numbers go in the later cells."""
        self._font(9, bold)
        ordered = list(reversed(cells)) if self.rtl else list(cells)
        for i, (text, width) in enumerate(ordered):
            first_in_reading = (i == len(ordered) - 1) if self.rtl else (i == 0)
            align = self.align if first_in_reading else ("L" if self.rtl else "R")
            self.pdf.cell(width, 5.5, self._clean(text), border="T" if rule else 0, align=align)
        self.pdf.ln(5.5)

    def gap(self, mm: float = 3) -> None:
        self.pdf.ln(mm)

    def finish(self, page_label: Callable[[int, int], str]) -> tuple[bytes, int]:
        """The PDF and its page count, with ``page_label(n, total)`` at the foot of every page."""
        pdf = self.pdf
        total = pdf.pages_count
        pdf.set_auto_page_break(auto=False)
        for n in range(1, total + 1):
            pdf.page = n
            pdf.set_xy(MARGIN, pdf.h - FOOTER_FROM_BOTTOM)
            self._font(8)
            pdf.cell(0, 5, self._clean(page_label(n, total)), align="C")
        pdf.page = total
        return bytes(pdf.output()), total
