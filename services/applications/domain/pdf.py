"""The decision letter as a PDF (fpdf2, core Helvetica font).

Core fonts are latin-1: å ä ö é ü § work; anything else (a name in another script) is replaced by
'?' rather than failing. Bundling a Unicode TTF would lift that; it is a deliberate follow-up.
No personnummer is printed: the letter names the recipients and the case reference.
"""

from __future__ import annotations

from typing import Literal

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pydantic import BaseModel, ConfigDict, Field

from services.applications.domain.content import APPLICANT, PARTNER, CostType, IncomeType
from services.applications.domain.decision import ComponentKind, Decision, DecisionComponent
from services.applications.domain.labels import COST_LABELS, INCOME_LABELS, ROLE_LABELS, kronor, pick
from services.applications.domain.months import month_name
from services.applications.domain.need_reasons import TEXTS

Lang = Literal["sv", "en"]


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


_PUNCTUATION = str.maketrans({
    "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
})


def _latin1(text: str) -> str:
    return text.translate(_PUNCTUATION).encode("latin-1", errors="replace").decode("latin-1")


_TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Beslut om ekonomiskt bistånd (försörjningsstöd)", "Decision on financial assistance (försörjningsstöd)"),
    "date": ("Beslutsdatum", "Date of decision"),
    "reference": ("Ärende", "Case"),
    "to": ("Till", "To"),
    "period": ("Gäller", "For"),
    "approved": ("Du beviljas ekonomiskt bistånd med {amount} för {month}.",
                 "You are granted financial assistance of {amount} for {month}."),
    "partly_approved": ("Du beviljas delvis ekonomiskt bistånd, med {amount} för {month}. Resten av ansökan avslås.",
                        "You are partly granted financial assistance: {amount} for {month}. The rest is refused."),
    "refused": ("Din ansökan om ekonomiskt bistånd för {month} avslås.",
                "Your application for financial assistance for {month} is refused."),
    "calculation": ("Beräkning", "Calculation"),
    "item": ("Post", "Item"),
    "computed": ("Beräknat", "Computed"),
    "decided": ("Beslutat", "Decided"),
    "total": ("Att betala ut", "To be paid"),
    "changes": ("Ändringar och skäl", "Changes and reasons"),
    "reasons": ("Skäl för beslutet", "Reasons for the decision"),
    "need": ("Varför du behöver stöd", "Why you need support"),
    "basis": ("Lagrum", "Legal basis"),
    "appeal": ("Hur man överklagar", "How to appeal"),
    "decided_by": ("Beslutet är fattat av", "Decided by"),
    "automated": ("Beslutet är fattat automatiskt enligt kommunens regler och kontrollerat mot beräkningen.",
                  "The decision was made automatically under the municipality's rules and checked against the "
                  "calculation."),
    "footer": ("Beräkningens underlag (kontrollsumma)", "Calculation input (checksum)"),
    "norm": ("Riksnorm", "National standard (riksnorm)"),
    "rent": ("Hyra / boendekostnad", "Rent / housing cost"),
    "minus": ("avgår", "deducted"),
}


def _t(key: str, lang: Lang) -> str:
    return pick(_TEXTS[key], lang)


def component_label(component: DecisionComponent, lang: Lang) -> str:
    code = component.code
    if component.kind is ComponentKind.NORM:
        label = _t("norm", lang) if code == "riksnorm" else f"{_t('norm', lang)} ({code})"
    elif code == "rent":
        label = _t("rent", lang)
    elif component.kind is ComponentKind.COST and code in CostType.__members__.values():
        label = pick(COST_LABELS[CostType(code)], lang)
    elif component.kind is ComponentKind.INCOME and code in IncomeType.__members__.values():
        label = pick(INCOME_LABELS[IncomeType(code)], lang)
    else:
        label = code
    label = label[:1].upper() + label[1:]
    if component.member in (APPLICANT, PARTNER):
        label += f", {pick(ROLE_LABELS[component.member], lang)}"
    elif component.member:
        label += f", {component.member}"
    return label


def render_decision_pdf(view: DecisionView) -> bytes:
    d, lang = view.decision, view.lang
    pdf = FPDF(format="A4")
    pdf.set_creation_date(d.decided_at)  # the same decision renders to the same bytes
    pdf.set_title(_latin1(_t("title", lang)))
    pdf.set_author(_latin1(view.municipality))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()

    def line(text: str, size: float = 10, style: str = "", gap: float = 0) -> None:
        pdf.set_font("helvetica", style=style, size=size)
        pdf.multi_cell(0, size * 0.5, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        if gap:
            pdf.ln(gap)

    def heading(key: str) -> None:
        pdf.ln(3)
        line(_t(key, lang), size=11, style="B", gap=1)

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
    pdf.set_font("helvetica", style="B", size=9)
    for width, key, align in zip(widths, ("item", "computed", "decided"), "LRR", strict=True):
        pdf.cell(width, 6, _latin1(_t(key, lang)), border="B", align=align)
    pdf.ln(6)
    pdf.set_font("helvetica", size=9)
    for c in d.components:
        sign = "-" if c.kind is ComponentKind.INCOME else ""
        pdf.cell(widths[0], 5.5, _latin1(component_label(c, lang)))
        pdf.cell(widths[1], 5.5, _latin1(sign + kronor(c.computed, lang)), align="R")
        pdf.cell(widths[2], 5.5, _latin1(sign + kronor(c.decided, lang)), align="R")
        pdf.ln(5.5)
    pdf.set_font("helvetica", style="B", size=9)
    pdf.cell(widths[0], 6, _latin1(_t("total", lang)), border="T")
    pdf.cell(widths[1], 6, _latin1(kronor(d.computed_entitlement, lang)), border="T", align="R")
    pdf.cell(widths[2], 6, _latin1(kronor(d.granted, lang)), border="T", align="R")
    pdf.ln(6)

    adjusted = [c for c in d.components if c.adjusted]
    if adjusted:
        heading("changes")
        for c in adjusted:
            line(f"{component_label(c, lang)}: {c.reason}")
    if d.reason_for_need is not None:
        heading("need")
        line(TEXTS[d.reason_for_need].plain(lang))
    reasons = (d.reasons_sv if lang == "sv" else d.reasons_en or d.reasons_sv)
    if reasons:
        heading("reasons")
        line(reasons)

    heading("basis")
    for ref in d.legal_basis:
        line(pick((ref.sv, ref.en), lang))
    heading("appeal")
    line(pick((d.appeal.sv, d.appeal.en), lang))

    pdf.ln(4)
    if d.automated:
        line(_t("automated", lang), size=9)
    elif view.caseworker_name:
        line(f"{_t('decided_by', lang)}: {view.caseworker_name}", size=9)
    line(f"{_t('footer', lang)}: {d.calculation.input_hash[:16]}", size=7)
    return bytes(pdf.output())
