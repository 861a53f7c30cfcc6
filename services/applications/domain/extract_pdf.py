"""The register extract as a readable PDF (fpdf2), in Swedish, English or Arabic (right to left).

With a Unicode TrueType font (the service passes APPLICATIONS_PDF_FONT_PATH when the file is there, DejaVu Sans by
default) every name prints as written; without one the core Helvetica font is used, which covers å ä ö é ü but
prints '?' for letters outside latin-1 (as the decision letter does, domain/pdf.py). An empty value is left out of
the PDF (the JSON keeps it); a missing service's part says so and why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kit.i18n import N_
from services.applications.domain.labels import kronor
from services.applications.domain.pdf import _latin1
from services.applications.domain.texts import Lang, direction, stored, tr

MAX_DEPTH = 4

# English ids, translated from the catalogs (domain/texts.py).
_TEXTS: dict[str, str] = {
    "title": N_("Register extract"),
    "subtitle": N_("Your personal data held by social services' financial assistance (GDPR article 15)"),
    "person": N_("Personal identity number"),
    "requested": N_("Requested"),
    "status": N_("Status"),
    "complete": N_("Complete: every service answered"),
    "partial": N_("Incomplete: a service did not answer, see below"),
    "missing": N_("Missing"),
    "empty": N_("No data."),
    "yes": N_("Yes"),
    "no": N_("No"),
    "kept": N_("This extract is kept until"),
}


def _t(key: str, lang: Lang) -> str:
    return tr(lang)(_TEXTS[key])


def _value(value: Any, kind: str, lang: Lang) -> str:
    if isinstance(value, bool):
        return _t("yes" if value else "no", lang)
    if kind == "kronor" and isinstance(value, int):
        return kronor(value, lang)
    if kind == "time" and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return str(value)


class _Writer:
    def __init__(self, pdf: FPDF, lang: Lang, unicode: bool) -> None:
        self.pdf, self.lang, self.unicode = pdf, lang, unicode

    def clean(self, text: str) -> str:
        return text if self.unicode else _latin1(text)

    def font(self, size: float, style: str = "") -> None:
        self.pdf.set_font("body" if self.unicode else "helvetica", style=style, size=size)

    def line(self, text: str, size: float = 9, style: str = "", indent: float = 0) -> None:
        self.font(size, style)
        self.pdf.set_x(self.pdf.l_margin + indent)
        align = "R" if self.unicode and direction(self.lang) == "rtl" else "L"
        self.pdf.multi_cell(0, size * 0.5, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align=align)

    def label(self, pair: dict[str, str] | None) -> str:
        return stored(pair, self.lang) or ""

    def item(self, item: dict[str, Any], depth: int) -> None:
        indent = 4 * depth
        self.pdf.ln(1)
        self.line(self.label(item.get("heading")), size=9.5, style="B", indent=indent)
        for e in item.get("entries", []):
            if e.get("value") is None or e.get("value") == "":
                continue
            self.line(f"{self.label(e.get('label'))}: {_value(e['value'], e.get('kind', 'text'), self.lang)}",
                      indent=indent + 2)
        if depth < MAX_DEPTH:
            for inner in item.get("items", []):
                self.item(inner, depth + 1)


def render_extract_pdf(extract: dict[str, Any], *, lang: Lang = "sv", municipality: str,
                       font_path: str | None = None) -> bytes:
    """``extract``: the JSON answer of GET …/registerutdrag/{id} (summary, subject, parts)."""
    pdf = FPDF(format="A4")
    requested = dt.datetime.fromisoformat(extract["requested_at"])
    pdf.set_creation_date(requested)  # the same extract renders to the same bytes
    unicode = font_path is not None
    if unicode:
        pdf.add_font("body", "", font_path)
        pdf.add_font("body", "B", font_path)  # one face: bold is shown by size, not a second file
        if direction(lang) == "rtl":  # HarfBuzz joins the Arabic letters; paragraphs run right to left
            pdf.set_text_shaping(use_shaping_engine=True, direction="rtl")
    elif direction(lang) == "rtl":
        lang = "sv"  # no glyphs for the script: the Swedish extract
    w = _Writer(pdf, lang, unicode)
    pdf.set_title(w.clean(_t("title", lang)))
    pdf.set_author(w.clean(municipality))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()

    w.line(municipality, size=9)
    pdf.ln(3)
    w.line(_t("title", lang), size=16, style="B")
    w.line(_t("subtitle", lang), size=9)
    pdf.ln(3)
    pnr = extract["subject"]["personal_number"]
    w.line(f"{_t('person', lang)}: {pnr[:8]}-{pnr[8:]}")
    w.line(f"{_t('requested', lang)}: {_value(extract['requested_at'], 'time', lang)}")
    w.line(f"{_t('status', lang)}: {_t(extract['status'], lang)}")
    w.line(f"{_t('kept', lang)}: {_value(extract['expires_at'], 'time', lang)}")

    for part in extract["parts"]:
        pdf.ln(5)
        w.line(w.label(part.get("title")), size=13, style="B")
        if part["status"] != "answered":
            w.line(f"{_t('missing', lang)}: {w.label(part.get('reason_text'))}", size=10, style="B")
            continue
        for section in part.get("sections", []):
            pdf.ln(2)
            w.line(w.label(section.get("title")), size=11, style="B")
            if section.get("note"):
                w.line(w.label(section["note"]), size=8)
            if not section.get("items"):
                w.line(_t("empty", lang))
            for item in section.get("items", []):
                w.item(item, 0)
    return bytes(pdf.output())
