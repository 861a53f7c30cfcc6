"""Every rule the engine applies: its id, the paragraph it rests on (sv/en) and the words shown to people.

The law changed on 2025-07-01 (socialtjänstlagen (2025:400) replaced SoL (2001:453)); a month is
explained with the law in force that month, so older months keep their old references (appeals).
Legal reference dicts are built once and shared by every line (the hot path only points at them).
"""

from __future__ import annotations

NEW_SOL_FROM = "2025-07"  # months from this one are under socialtjänstlagen (2025:400)

_OLD = {
    "norm": ("4 kap. 3 § första stycket 1 socialtjänstlagen (2001:453) och 2 § socialtjänstförordningen (2001:937)",
             "Chapter 4, Section 3, first paragraph, item 1 of the Social Services Act (2001:453) and Section 2 "
             "of the Social Services Ordinance (2001:937)"),
    "cost.housing": ("4 kap. 3 § första stycket 2 socialtjänstlagen (2001:453)",
                     "Chapter 4, Section 3, first paragraph, item 2 of the Social Services Act (2001:453)"),
    "cost.other": ("4 kap. 1 § socialtjänstlagen (2001:453) (livsföringen i övrigt)",
                   "Chapter 4, Section 1 of the Social Services Act (2001:453) (living costs in general)"),
    "income": ("4 kap. 1 § socialtjänstlagen (2001:453): behovet kan tillgodoses på annat sätt",
               "Chapter 4, Section 1 of the Social Services Act (2001:453): the need can be met in another way"),
    "jobbstimulans": ("4 kap. 1 b § socialtjänstlagen (2001:453)",
                      "Chapter 4, Section 1 b of the Social Services Act (2001:453)"),
    "child_earnings": ("4 kap. 1 a § socialtjänstlagen (2001:453)",
                       "Chapter 4, Section 1 a of the Social Services Act (2001:453)"),
    "asset": ("4 kap. 1 § socialtjänstlagen (2001:453): tillgångar som kan användas",
              "Chapter 4, Section 1 of the Social Services Act (2001:453): assets that can be used"),
    "overpayment": ("9 kap. 1 § socialtjänstlagen (2001:453) (återkrav, avräknat från biståndet)",
                    "Chapter 9, Section 1 of the Social Services Act (2001:453) (recovery, set off against support)"),
}

_NEW_SV = "socialtjänstlagen (2025:400)"
_NEW_EN = "the Social Services Act (2025:400)"
_NEW = {
    "norm": (f"12 kap. 7 § {_NEW_SV} (riksnormen); tidigare 4 kap. 3 § socialtjänstlagen (2001:453)",
             f"Chapter 12, Section 7 of {_NEW_EN} (the national norm); formerly Chapter 4, Section 3 of the "
             "Social Services Act (2001:453)"),
    "cost.housing": (f"{_NEW_SV}, skäliga kostnader för boende m.m.; "
                     "tidigare 4 kap. 3 § första stycket 2 SoL (2001:453)",
                     f"{_NEW_EN}, reasonable costs of housing etc.; formerly Chapter 4, Section 3 (2001:453)"),
    "cost.other": (f"{_NEW_SV}, livsföringen i övrigt; tidigare 4 kap. 1 § SoL (2001:453)",
                   f"{_NEW_EN}, living costs in general; formerly Chapter 4, Section 1 (2001:453)"),
    "income": (f"{_NEW_SV}, rätten till ekonomiskt bistånd; tidigare 4 kap. 1 § SoL (2001:453)",
               f"{_NEW_EN}, the right to financial assistance; formerly Chapter 4, Section 1 (2001:453)"),
    "jobbstimulans": (f"{_NEW_SV}, jobbstimulans; tidigare 4 kap. 1 b § SoL (2001:453)",
                      f"{_NEW_EN}, job incentive; formerly Chapter 4, Section 1 b (2001:453)"),
    "child_earnings": (f"{_NEW_SV}, barns och skolungdomars inkomster; tidigare 4 kap. 1 a § SoL (2001:453)",
                       f"{_NEW_EN}, earnings of children and school youths; formerly Chapter 4, Section 1 a "
                       "(2001:453)"),
    "asset": (f"{_NEW_SV}, tillgångar; tidigare 4 kap. 1 § SoL (2001:453)",
              f"{_NEW_EN}, assets; formerly Chapter 4, Section 1 (2001:453)"),
    "overpayment": (f"{_NEW_SV}, återkrav; tidigare 9 kap. 1 § SoL (2001:453)",
                    f"{_NEW_EN}, recovery; formerly Chapter 9, Section 1 (2001:453)"),
}

OLD_LAW: dict[str, dict[str, str]] = {k: {"sv": sv, "en": en} for k, (sv, en) in _OLD.items()}
NEW_LAW: dict[str, dict[str, str]] = {k: {"sv": sv, "en": en} for k, (sv, en) in _NEW.items()}


def law_for(month: str) -> dict[str, dict[str, str]]:
    return NEW_LAW if month >= NEW_SOL_FROM else OLD_LAW


# Which legal reference each cost type rests on.
COST_LAW = {"rent": "cost.housing", "household_electricity": "cost.housing", "home_insurance": "cost.housing",
            "work_travel": "cost.housing", "union_fee": "cost.housing", "a_kassa_fee": "cost.housing",
            "childcare": "cost.other", "medical": "cost.other", "dental": "cost.other", "other": "cost.other"}

COST_LABELS = {
    "rent": ("Boendekostnad", "Housing cost"),
    "household_electricity": ("Hushållsel", "Household electricity"),
    "home_insurance": ("Hemförsäkring", "Home insurance"),
    "work_travel": ("Arbetsresor", "Work travel"),
    "union_fee": ("Fackföreningsavgift", "Trade union fee"),
    "a_kassa_fee": ("A-kasseavgift", "Unemployment fund fee"),
    "childcare": ("Barnomsorgsavgift", "Childcare fee"),
    "medical": ("Läkarvård och medicin", "Medical care and medicine"),
    "dental": ("Tandvård (bedömd)", "Dental care (assessed)"),
    "other": ("Övrig bedömd kostnad", "Other assessed cost"),
}

INCOME_LABELS = {
    "wages_net": ("Lön (netto)", "Wages (net)"),
    "sjukpenning": ("Sjukpenning", "Sickness benefit"),
    "aktivitetsstod": ("Aktivitetsstöd", "Activity support"),
    "bostadsbidrag": ("Bostadsbidrag", "Housing allowance"),
    "barnbidrag": ("Barnbidrag", "Child allowance"),
    "flerbarnstillagg": ("Flerbarnstillägg", "Large family supplement"),
    "underhallsstod": ("Underhållsstöd", "Maintenance support"),
    "pension": ("Pension", "Pension"),
    "a_kassa": ("Arbetslöshetsersättning (a-kassa)", "Unemployment benefit"),
    "csn_studiemedel": ("Studiemedel (CSN)", "Student finance (CSN)"),
    "foraldrapenning": ("Föräldrapenning", "Parental benefit"),
    "sjukersattning": ("Sjukersättning", "Sickness compensation"),
    "etableringsersattning": ("Etableringsersättning", "Establishment allowance"),
    "other": ("Annan inkomst", "Other income"),
}

# Rule ids: stable names a decision, a test or a lawyer can point at.
R_ADULT_ALONE = "riksnorm.personal.adult_living_alone"
R_ADULTS_TOGETHER = "riksnorm.personal.adults_living_together"
R_CHILD = "riksnorm.personal.child"
R_CHILD_NO_LUNCH = "riksnorm.personal.child_without_lunch"
R_COMMON = "riksnorm.common"
R_COMMON_SHARE = "riksnorm.common.share"
R_OTHER_ADULT = "riksnorm.personal.other_adult_living_alone"
R_OTHER_ADULT_SHARE = "riksnorm.common.other_adult_share"
R_COST = "cost."  # + type
R_RENT_CEILING = "cost.rent.ceiling"
R_MEDICAL_CEILING = "cost.medical.high_cost_ceiling"
R_INCOME = "income."  # + type
R_JOBBSTIMULANS = "disregard.jobbstimulans"
R_CHILD_EARNINGS = "disregard.child_earnings"
R_ASSET = "deduction.asset"
R_OVERPAYMENT = "deduction.overpayment"

JOBBSTIMULANS_PERCENT = 25
JOBBSTIMULANS_AFTER_MONTHS = 6
JOBBSTIMULANS_FOR_MONTHS = 24
EMPLOYMENT_INCOME = "wages_net"
CHILD_EARNINGS_ALWAYS_UNDER = 18  # under 18: a child's wages; 18-20: only while in school (school youth)
