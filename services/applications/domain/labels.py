"""Plain-language names (Swedish, English) for the enums, shared by completeness, client view and decisions."""

from __future__ import annotations

from typing import Literal

from services.applications.domain.content import APPLICANT, PARTNER, CostType, IncomeType

Lang = Literal["sv", "en"]

INCOME_LABELS: dict[IncomeType, tuple[str, str]] = {
    IncomeType.WAGES_NET: ("lön (netto)", "wages (net)"),
    IncomeType.SJUKPENNING: ("sjukpenning", "sickness benefit (sjukpenning)"),
    IncomeType.AKTIVITETSSTOD: ("aktivitetsstöd", "activity support (aktivitetsstöd)"),
    IncomeType.BOSTADSBIDRAG: ("bostadsbidrag", "housing allowance (bostadsbidrag)"),
    IncomeType.BARNBIDRAG: ("barnbidrag", "child allowance (barnbidrag)"),
    IncomeType.FLERBARNSTILLAGG: ("flerbarnstillägg", "large family supplement (flerbarnstillägg)"),
    IncomeType.UNDERHALLSSTOD: ("underhållsstöd", "maintenance support (underhållsstöd)"),
    IncomeType.PENSION: ("pension", "pension"),
    IncomeType.A_KASSA: ("ersättning från a-kassa", "unemployment benefit (a-kassa)"),
    IncomeType.CSN_STUDIEMEDEL: ("studiemedel från CSN", "student aid from CSN"),
    IncomeType.FORALDRAPENNING: ("föräldrapenning", "parental benefit (föräldrapenning)"),
    IncomeType.SJUKERSATTNING: ("sjukersättning", "sickness compensation (sjukersättning)"),
    IncomeType.ETABLERINGSERSATTNING: ("etableringsersättning", "establishment allowance (etableringsersättning)"),
    IncomeType.OTHER: ("annan inkomst", "other income"),
}

COST_LABELS: dict[CostType, tuple[str, str]] = {
    CostType.HOUSEHOLD_ELECTRICITY: ("hushållsel", "household electricity"),
    CostType.HOME_INSURANCE: ("hemförsäkring", "home insurance"),
    CostType.WORK_TRAVEL: ("resor till och från arbetet", "travel to and from work"),
    CostType.UNION_FEE: ("fackavgift", "trade union fee"),
    CostType.A_KASSA_FEE: ("a-kasseavgift", "unemployment fund fee"),
    CostType.CHILDCARE: ("barnomsorgsavgift", "childcare fee"),
    CostType.MEDICAL: ("läkarvård och medicin", "medical care and medicine"),
    CostType.DENTAL: ("tandvård", "dental care"),
    CostType.OTHER: ("annan kostnad", "other cost"),
}

ROLE_LABELS: dict[str, tuple[str, str]] = {
    APPLICANT: ("sökande", "applicant"),
    PARTNER: ("medsökande", "co-applicant"),
}


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "sv" else pair[1]


def kronor(amount: int, lang: Lang = "sv") -> str:
    """12 345 kr (Swedish thin grouping with a plain space; fonts for PDFs lack the narrow no-break space)."""
    grouped = f"{amount:,}".replace(",", " ")
    return f"{grouped} kr" if lang == "sv" else f"SEK {grouped}"
