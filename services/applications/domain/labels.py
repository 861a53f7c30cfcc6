"""Plain-language names for the enums, shared by completeness, client view and decisions.

The names are English message ids (``N_``) translated from the service's catalogs (domain/texts.py).
"""

from __future__ import annotations

from kit.i18n import N_
from services.applications.domain.content import APPLICANT, PARTNER, CostType, IncomeType
from services.applications.domain.texts import Lang, tr

__all__ = ["COST_LABELS", "INCOME_LABELS", "ROLE_LABELS", "Lang", "kronor", "label"]

INCOME_LABELS: dict[IncomeType, str] = {
    IncomeType.WAGES_NET: N_("wages (net)"),
    IncomeType.SJUKPENNING: N_("sickness benefit (sjukpenning)"),
    IncomeType.AKTIVITETSSTOD: N_("activity support (aktivitetsstöd)"),
    IncomeType.BOSTADSBIDRAG: N_("housing allowance (bostadsbidrag)"),
    IncomeType.BARNBIDRAG: N_("child allowance (barnbidrag)"),
    IncomeType.FLERBARNSTILLAGG: N_("large family supplement (flerbarnstillägg)"),
    IncomeType.UNDERHALLSSTOD: N_("maintenance support (underhållsstöd)"),
    IncomeType.PENSION: N_("pension"),
    IncomeType.A_KASSA: N_("unemployment benefit (a-kassa)"),
    IncomeType.CSN_STUDIEMEDEL: N_("student aid from CSN"),
    IncomeType.FORALDRAPENNING: N_("parental benefit (föräldrapenning)"),
    IncomeType.SJUKERSATTNING: N_("sickness compensation (sjukersättning)"),
    IncomeType.ETABLERINGSERSATTNING: N_("establishment allowance (etableringsersättning)"),
    IncomeType.OTHER: N_("other income"),
}

COST_LABELS: dict[CostType, str] = {
    CostType.HOUSEHOLD_ELECTRICITY: N_("household electricity"),
    CostType.HOME_INSURANCE: N_("home insurance"),
    CostType.WORK_TRAVEL: N_("travel to and from work"),
    CostType.UNION_FEE: N_("trade union fee"),
    CostType.A_KASSA_FEE: N_("unemployment fund fee"),
    CostType.CHILDCARE: N_("childcare fee"),
    CostType.MEDICAL: N_("medical care and medicine"),
    CostType.DENTAL: N_("dental care"),
    CostType.OTHER: N_("other cost"),
}

ROLE_LABELS: dict[str, str] = {
    APPLICANT: N_("applicant"),
    PARTNER: N_("co-applicant"),
}


def label(message: str, lang: Lang) -> str:
    """One of the labels above in ``lang``."""
    return tr(lang)(message)


def kronor(amount: int, lang: Lang = "sv") -> str:
    """12 345 kr (Swedish thin grouping with a plain space; fonts for PDFs lack the narrow no-break space)."""
    grouped = f"{amount:,}".replace(",", " ")
    # Translators: an amount of Swedish kronor; {amount} is the number, grouped with spaces ("12 345").
    return tr(lang)(N_("SEK {amount}"), amount=grouped)
