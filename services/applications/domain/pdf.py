"""The decision letter as a PDF (fpdf2, core Helvetica font; a Unicode font for right-to-left languages).

Core fonts are latin-1: å ä ö é ü § work; anything else (a name in another script) is replaced by
'?' rather than failing. A letter in a right-to-left language (Arabic) is set in the Unicode TrueType font the
service passes (``font_path``, DejaVu Sans by default: it has the Arabic letters) with text shaping (HarfBuzz
joins the letters) and right-aligned paragraphs; without a font such a letter is written in Swedish.
No personnummer is printed: the letter names the recipients and the case reference.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pydantic import BaseModel, ConfigDict, Field

from kit.i18n import N_
from services.applications.domain.content import APPLICANT, PARTNER, CostType, IncomeType
from services.applications.domain.decision import ComponentKind, Decision, DecisionComponent
from services.applications.domain.labels import COST_LABELS, INCOME_LABELS, ROLE_LABELS, kronor
from services.applications.domain.labels import label as enum_label
from services.applications.domain.months import month_name
from services.applications.domain.need_reasons import TEXTS
from services.applications.domain.texts import Lang, direction, stored, tr


class DecisionView(BaseModel):
    """Everything the letter shows; the API assembles it from the decision, the case and the unit."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    lang: Lang = "sv"
    municipality: str = Field(min_length=1, max_length=200)
    unit_name: str | None = None
    case_reference: str = Field(min_length=1, max_length=100)
    recipients: list[str] = Field(default_factory=list)  # names, never personnummer
    caseworker_name: str | None = None  # left out for automated decisions and on protected identity
    font_path: str | None = None  # a Unicode TrueType font, used for right-to-left languages


_PUNCTUATION = str.maketrans({
    "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
})


def _latin1(text: str) -> str:
    return text.translate(_PUNCTUATION).encode("latin-1", errors="replace").decode("latin-1")


# English ids, translated from the catalogs (domain/texts.py).
_TEXTS: dict[str, str] = {
    "title": N_("Decision on financial assistance (försörjningsstöd)"),
    "date": N_("Date of decision"),
    "reference": N_("Case"),
    "to": N_("To"),
    "period": N_("For"),
    "approved": N_("You are granted financial assistance of {amount} for {month}."),
    "partly_approved": N_("You are partly granted financial assistance: {amount} for {month}. The rest is refused."),
    "refused": N_("Your application for financial assistance for {month} is refused."),
    "calculation": N_("Calculation"),
    "item": N_("Item"),
    "computed": N_("Computed"),
    "decided": N_("Decided"),
    "total": N_("To be paid"),
    "changes": N_("Changes and reasons"),
    "reasons": N_("Reasons for the decision"),
    "need": N_("Why you need support"),
    "basis": N_("Legal basis"),
    "appeal": N_("How to appeal"),
    "decided_by": N_("Decided by"),
    "automated": N_("The decision was made automatically under the municipality's"
              " rules and checked against the calculation."),
    "footer": N_("Calculation input (checksum)"),
    "norm": N_("National standard (riksnorm)"),
    "rent": N_("Rent / housing cost"),
    "minus": N_("deducted"),
}


def _t(key: str, lang: Lang) -> str:
    return tr(lang)(_TEXTS[key])


def component_label(component: DecisionComponent, lang: Lang) -> str:
    code = component.code
    if component.kind is ComponentKind.NORM:
        label = _t("norm", lang) if code == "riksnorm" else f"{_t('norm', lang)} ({code})"
    elif code == "rent":
        label = _t("rent", lang)
    elif component.kind is ComponentKind.COST and code in CostType.__members__.values():
        label = enum_label(COST_LABELS[CostType(code)], lang)
    elif component.kind is ComponentKind.INCOME and code in IncomeType.__members__.values():
        label = enum_label(INCOME_LABELS[IncomeType(code)], lang)
    else:
        label = code
    label = label[:1].upper() + label[1:]
    member = enum_label(ROLE_LABELS[component.member], lang) if component.member in (APPLICANT, PARTNER) else \
        component.member
    # Translators: a line of the calculation and whose it is ("Wages (net), co-applicant"); Arabic takes "،".
    return tr(lang)(N_("{item}, {member}"), item=label, member=member) if member else label


def render_decision_pdf(view: DecisionView) -> bytes:
    d = view.decision
    rtl = direction(view.lang) == "rtl"
    lang: Lang = view.lang if view.font_path or not rtl else "sv"  # no glyphs for the script: the Swedish letter
    rtl = rtl and lang == view.lang
    pdf = FPDF(format="A4")
    pdf.set_creation_date(d.decided_at)  # the same decision renders to the same bytes
    family, clean = "helvetica", _latin1
    if rtl:
        family = "body"
        pdf.add_font(family, "", view.font_path)
        pdf.add_font(family, "B", view.font_path)  # one face: bold is shown by size, not a second file
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl")

        def clean(text: str) -> str:
            return text

    pdf.set_title(clean(_t("title", lang)))
    pdf.set_author(clean(view.municipality))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    start, end = ("R", "L") if rtl else ("L", "R")  # where a line of text begins, where amounts go

    def line(text: str, size: float = 10, style: str = "", gap: float = 0) -> None:
        pdf.set_font(family, style=style, size=size)
        pdf.multi_cell(0, size * 0.5, clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align=start)
        if gap:
            pdf.ln(gap)

    def heading(key: str) -> None:
        pdf.ln(3)
        line(_t(key, lang), size=11, style="B", gap=1)

    def row(height: float, cells: tuple[str, str, str], border: str = "") -> None:
        # label, computed, decided; mirrored (label on the right) for a right-to-left language
        placed = list(zip(widths, cells, (start, end, end), strict=True))
        for width, text, align in reversed(placed) if rtl else placed:
            pdf.cell(width, height, clean(text), border=border, align=align)
        pdf.ln(height)

    line(view.municipality + (f", {view.unit_name}" if view.unit_name else ""), size=9)
    pdf.ln(4)
    line(_t("title", lang), size=15, style="B", gap=3)
    month = month_name(d.period, lang)
    line(f"{_t('date', lang)}: {d.decided_at.date().isoformat()}")
    line(f"{_t('reference', lang)}: {view.case_reference}")
    if view.recipients:
        line(f"{_t('to', lang)}: {', '.join(view.recipients)}")
    line(f"{_t('period', lang)}: {month}", gap=3)
    line(_t(d.outcome.value, lang).format(amount=kronor(d.granted, lang), month=month), size=11, style="B")

    heading("calculation")
    widths = (100, 35, 35)
    pdf.set_font(family, style="B", size=9)
    row(6, (_t("item", lang), _t("computed", lang), _t("decided", lang)), border="B")
    pdf.set_font(family, size=9)
    for c in d.components:
        sign = "-" if c.kind is ComponentKind.INCOME else ""
        row(5.5, (component_label(c, lang), sign + kronor(c.computed, lang), sign + kronor(c.decided, lang)))
    pdf.set_font(family, style="B", size=9)
    row(6, (_t("total", lang), kronor(d.computed_entitlement, lang), kronor(d.granted, lang)), border="T")

    adjusted = [c for c in d.components if c.adjusted]
    if adjusted:
        heading("changes")
        for c in adjusted:
            line(f"{component_label(c, lang)}: {c.reason}")
    if d.reason_for_need is not None:
        heading("need")
        line(TEXTS[d.reason_for_need].plain(lang))
    reasons = d.reasons_en or d.reasons_sv if lang == "en" else d.reasons_sv  # the caseworker's words
    if reasons:
        heading("reasons")
        line(reasons)

    heading("basis")
    for ref in d.legal_basis:
        line(stored(ref.model_dump(), lang) or ref.sv)
    heading("appeal")
    line(stored(d.appeal.model_dump(), lang) or d.appeal.sv)

    pdf.ln(4)
    if d.automated:
        line(_t("automated", lang), size=9)
    elif view.caseworker_name:
        line(f"{_t('decided_by', lang)}: {view.caseworker_name}", size=9)
    line(f"{_t('footer', lang)}: {d.calculation.input_hash[:16]}", size=7)
    return bytes(pdf.output())
