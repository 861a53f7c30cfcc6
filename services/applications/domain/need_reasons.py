"""The reason for need (försörjningshinder): why the household cannot support itself, recorded with every decision.

The categories follow the ones Socialstyrelsen asks municipalities to report for its statistics on ekonomiskt
bistånd (HSLF-FS 2015:30, bilaga 1, "Försörjningshinder"; explained in Socialstyrelsen's *Instruktion för
registrering av ekonomiskt bistånd*, 2017, and its yearly *Statistik om ekonomiskt bistånd*). The codes are ours
and stable; the labels are the caseworker's, the plain sentences the client's (it is part of the assessment and
their data, so their decision shows it).

Socialstyrelsen records one reason per adult; a decision here carries the household's main reason (one code).

A person's decision needs a reason; an automated approval (decided_by "system") takes the one of the household's
previous decision, because nothing new was assessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from values.errors import DomainError

SOURCE = ("Socialstyrelsen: HSLF-FS 2015:30 om socialnämndernas skyldighet att lämna statistiska uppgifter om "
          "ekonomiskt bistånd, bilaga 1 (försörjningshinder); Instruktion för registrering av ekonomiskt bistånd "
          "(2017).")


class NeedReason(StrEnum):
    UNEMPLOYED_NO_BENEFIT = "unemployed_no_benefit"
    UNEMPLOYED_INSUFFICIENT_BENEFIT = "unemployed_insufficient_benefit"
    SICK_LEAVE_WITH_BENEFIT = "sick_leave_with_benefit"
    SICK_LEAVE_WITHOUT_BENEFIT = "sick_leave_without_benefit"
    ILL_HEALTH_WITHOUT_SICK_LEAVE = "ill_health_without_sick_leave"
    SOCIAL_OBSTACLE = "social_obstacle"
    PARENTAL_LEAVE = "parental_leave"
    INSUFFICIENT_INCOME_WORK = "insufficient_income_work"
    INSUFFICIENT_INCOME_PENSION = "insufficient_income_pension"
    INSUFFICIENT_INCOME_OTHER = "insufficient_income_other"
    AWAITING_INCOME = "awaiting_income"
    STUDIES = "studies"
    INTRODUCTION_PROGRAMME = "introduction_programme"
    OTHER = "other"


@dataclass(frozen=True)
class NeedReasonText:
    sv: str  # the category as staff and the statistics name it
    en: str
    client_sv: str  # what the client reads on their decision
    client_en: str

    def label(self, lang: Literal["sv", "en"]) -> str:
        return self.sv if lang == "sv" else self.en

    def plain(self, lang: Literal["sv", "en"]) -> str:
        return self.client_sv if lang == "sv" else self.client_en


TEXTS: dict[NeedReason, NeedReasonText] = {
    NeedReason.UNEMPLOYED_NO_BENEFIT: NeedReasonText(
        "Arbetslös – ingen ersättning", "Unemployed – no benefit",
        "Du är arbetslös och får ingen ersättning, till exempel från a-kassan.",
        "You are unemployed and get no benefit, for example from an unemployment fund."),
    NeedReason.UNEMPLOYED_INSUFFICIENT_BENEFIT: NeedReasonText(
        "Arbetslös – otillräcklig ersättning", "Unemployed – benefit not enough to live on",
        "Du är arbetslös och ersättningen du får räcker inte att leva på.",
        "You are unemployed and the benefit you get is not enough to live on."),
    NeedReason.SICK_LEAVE_WITH_BENEFIT: NeedReasonText(
        "Sjukskriven med läkarintyg – med sjukpenning", "On sick leave (doctor's certificate) – with sickness benefit",
        "Du är sjukskriven och sjukpenningen räcker inte att leva på.",
        "You are on sick leave and your sickness benefit is not enough to live on."),
    NeedReason.SICK_LEAVE_WITHOUT_BENEFIT: NeedReasonText(
        "Sjukskriven med läkarintyg – utan sjukpenning",
        "On sick leave (doctor's certificate) – without sickness benefit",
        "Du är sjukskriven men får ingen sjukpenning.",
        "You are on sick leave but get no sickness benefit."),
    NeedReason.ILL_HEALTH_WITHOUT_SICK_LEAVE: NeedReasonText(
        "Sjukdom eller ohälsa utan sjukskrivning", "Illness or ill health without sick leave",
        "Din hälsa gör att du inte kan arbeta nu, fast du inte är sjukskriven.",
        "Your health keeps you from working now, although you are not on sick leave."),
    NeedReason.SOCIAL_OBSTACLE: NeedReasonText(
        "Arbetshinder – sociala skäl", "Unable to work – social reasons",
        "Din situation gör att du inte kan börja arbeta nu. Vi arbetar tillsammans med dig mot arbete.",
        "Your situation keeps you from starting work now. We work with you towards a job."),
    NeedReason.PARENTAL_LEAVE: NeedReasonText(
        "Föräldraledig", "Parental leave",
        "Du är föräldraledig och föräldrapenningen räcker inte att leva på.",
        "You are on parental leave and your parental benefit is not enough to live on."),
    NeedReason.INSUFFICIENT_INCOME_WORK: NeedReasonText(
        "Otillräcklig inkomst – arbete", "Income not enough – work",
        "Du arbetar, men lönen räcker inte att leva på.",
        "You work, but your wages are not enough to live on."),
    NeedReason.INSUFFICIENT_INCOME_PENSION: NeedReasonText(
        "Otillräcklig inkomst – pension", "Income not enough – pension",
        "Din pension räcker inte att leva på.",
        "Your pension is not enough to live on."),
    NeedReason.INSUFFICIENT_INCOME_OTHER: NeedReasonText(
        "Otillräcklig inkomst – annan", "Income not enough – other",
        "Dina inkomster räcker inte att leva på.",
        "Your income is not enough to live on."),
    NeedReason.AWAITING_INCOME: NeedReasonText(
        "Väntar på ersättning eller inkomst", "Waiting for a benefit or income",
        "Du väntar på en ersättning eller inkomst som inte har kommit än.",
        "You are waiting for a benefit or income that has not come yet."),
    NeedReason.STUDIES: NeedReasonText(
        "Utbildning eller studier", "Education or studies",
        "Du studerar och har inte tillräckligt att leva på under tiden.",
        "You are studying and do not have enough to live on meanwhile."),
    NeedReason.INTRODUCTION_PROGRAMME: NeedReasonText(
        "Introduktionsprogram eller etableringsprogram", "Introduction or establishment programme",
        "Du deltar i ett introduktions- eller etableringsprogram och ersättningen räcker inte att leva på.",
        "You take part in an introduction or establishment programme and its benefit is not enough to live on."),
    NeedReason.OTHER: NeedReasonText(
        "Annat försörjningshinder", "Other reason",
        "Du kan inte försörja dig just nu av ett annat skäl, som står i beslutet.",
        "You cannot support yourself just now for another reason, given in the decision."),
}


class NeedReasonRequired(DomainError):
    code = "decision-invalid"
    status = 422
    title = "The decision is not complete"


def reason_for_decision(*, automated: bool, given: NeedReason | None,
                        inherited: NeedReason | None = None) -> NeedReason | None:
    """The reason a decision records: a person's decision names one (else 422 with the field); an automated
    approval takes the household's previous decision's (none when there is none to take)."""
    if automated:
        return inherited
    if given is None:
        raise NeedReasonRequired(
            "A decision by a person records the reason for need (försörjningshinder).",
            errors=[{"field": "body.reason_for_need", "message": "required for a decision",
                     "code": "missing"}])
    return given


def need_reason_out(reason: NeedReason | str | None, lang: Literal["sv", "en"] | None = None) -> dict[str, str] | None:
    """The reason as shown: the code with its labels (staff), or in the client's language in plain words."""
    if reason is None:
        return None
    text = TEXTS[NeedReason(reason)]
    if lang is None:
        return {"code": str(reason), "sv": text.sv, "en": text.en}
    return {"code": str(reason), "label": text.label(lang), "text": text.plain(lang)}
