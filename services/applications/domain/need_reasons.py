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

from kit.i18n import N_
from services.applications.domain.texts import Lang, tr
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
    """English ids, translated from the catalogs (domain/texts.py)."""

    category: str  # the category as staff and the statistics name it
    client: str  # what the client reads on their decision

    @property
    def sv(self) -> str:
        return tr("sv")(self.category)

    @property
    def en(self) -> str:
        return self.category

    def label(self, lang: Lang) -> str:
        return tr(lang)(self.category)

    def plain(self, lang: Lang) -> str:
        return tr(lang)(self.client)


TEXTS: dict[NeedReason, NeedReasonText] = {
    NeedReason.UNEMPLOYED_NO_BENEFIT: NeedReasonText(
        N_("Unemployed – no benefit"),
        N_("You are unemployed and get no benefit, for example from an unemployment fund.")),
    NeedReason.UNEMPLOYED_INSUFFICIENT_BENEFIT: NeedReasonText(
        N_("Unemployed – benefit not enough to live on"),
        N_("You are unemployed and the benefit you get is not enough to live on.")),
    NeedReason.SICK_LEAVE_WITH_BENEFIT: NeedReasonText(
        N_("On sick leave (doctor's certificate) – with sickness benefit"),
        N_("You are on sick leave and your sickness benefit is not enough to live on.")),
    NeedReason.SICK_LEAVE_WITHOUT_BENEFIT: NeedReasonText(
        N_("On sick leave (doctor's certificate) – without sickness benefit"),
        N_("You are on sick leave but get no sickness benefit.")),
    NeedReason.ILL_HEALTH_WITHOUT_SICK_LEAVE: NeedReasonText(
        N_("Illness or ill health without sick leave"),
        N_("Your health keeps you from working now, although you are not on sick leave.")),
    NeedReason.SOCIAL_OBSTACLE: NeedReasonText(
        N_("Unable to work – social reasons"),
        N_("Your situation keeps you from starting work now. We work with you towards a job.")),
    NeedReason.PARENTAL_LEAVE: NeedReasonText(
        N_("Parental leave"),
        N_("You are on parental leave and your parental benefit is not enough to live on.")),
    NeedReason.INSUFFICIENT_INCOME_WORK: NeedReasonText(
        N_("Income not enough – work"),
        N_("You work, but your wages are not enough to live on.")),
    NeedReason.INSUFFICIENT_INCOME_PENSION: NeedReasonText(
        N_("Income not enough – pension"),
        N_("Your pension is not enough to live on.")),
    NeedReason.INSUFFICIENT_INCOME_OTHER: NeedReasonText(
        N_("Income not enough – other"),
        N_("Your income is not enough to live on.")),
    NeedReason.AWAITING_INCOME: NeedReasonText(
        N_("Waiting for a benefit or income"),
        N_("You are waiting for a benefit or income that has not come yet.")),
    NeedReason.STUDIES: NeedReasonText(
        N_("Education or studies"),
        N_("You are studying and do not have enough to live on meanwhile.")),
    NeedReason.INTRODUCTION_PROGRAMME: NeedReasonText(
        N_("Introduction or establishment programme"),
        N_("You take part in an introduction or establishment programme and its benefit is not enough to live on.")),
    NeedReason.OTHER: NeedReasonText(
        N_("Other reason"),
        N_("You cannot support yourself just now for another reason, given in the decision.")),
}


class NeedReasonRequired(DomainError):
    code = "decision-invalid"
    status = 422
    title = N_("The decision is not complete")


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


def need_reason_out(reason: NeedReason | str | None, lang: Lang | None = None) -> dict[str, str] | None:
    """The reason as shown: the code with its labels (staff), or in the client's language in plain words."""
    if reason is None:
        return None
    text = TEXTS[NeedReason(reason)]
    if lang is None:
        return {"code": str(reason), "sv": text.sv, "en": text.en}
    return {"code": str(reason), "label": text.label(lang), "text": text.plain(lang)}
