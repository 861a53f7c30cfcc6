"""What is still missing before an application can be submitted, in words a client understands.

Codes are stable (the client app and the 422 body switch on them); ``member`` says which person an
item is about. The same list drives the submit check and "Mina sidor".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kit.i18n import N_
from services.applications.domain.content import (
    APPLICANT,
    NO_RENT_HOUSING,
    PARTNER,
    Assets,
    DraftContent,
    Household,
    Housing,
    Incomes,
    Plan,
    age_on,
    period_first_day,
    period_last_day,
)
from services.applications.domain.labels import INCOME_LABELS, Lang
from services.applications.domain.signing import RequiredSignatures, Signature, missing_signers, required_signers
from services.applications.domain.texts import tr
from values.errors import DomainError

LUNCH_QUESTION_MAX_AGE = 6  # the riksnorm has a lower amount for 0-6 year olds who eat lunch at preschool
CHILD_MAX_AGE = 20  # the riksnorm's oldest child band is 19-20; older people are adults of their own


class MissingItem(BaseModel):
    """One gap. ``sv`` and ``en`` are part of the 422 body and the staff view; ``text(lang)`` gives any catalog
    language (the English id with its values, translated from domain/texts.py)."""

    model_config = ConfigDict(frozen=True)

    code: str
    sv: str
    en: str
    member: str | None = None  # "applicant", "partner" or a child/adult ref
    message: str | None = Field(default=None, exclude=True)  # the English id
    values: tuple[tuple[str, str], ...] = Field(default=(), exclude=True)  # its {placeholders}, ids themselves

    def text(self, lang: Lang = "sv") -> str:
        if lang == "sv" or self.message is None:
            return self.sv if lang != "en" else self.en
        return _say(self.message, dict(self.values), lang)


def _say(message: str, values: dict[str, str], lang: Lang) -> str:
    t = tr(lang)
    return t(message, **{k: t(v) for k, v in values.items()})


def _item(code: str, message: str, member: str | None = None, **values: str) -> MissingItem:
    return MissingItem(code=code, sv=_say(message, values, "sv"), en=_say(message, values, "en"), member=member,
                       message=message, values=tuple(values.items()))


def _household_gaps(content: DraftContent) -> Iterable[MissingItem]:
    household = content.household
    if household is None or household.applicant is None:
        yield _item("household.applicant", N_("Fill in your own details as the applicant."))
        if household is None:
            return
    start, end = period_first_day(content.period), period_last_day(content.period)
    for child in household.children:
        if child.birth_date > end or age_on(child.birth_date, start) > CHILD_MAX_AGE:
            yield _item(
                "household.child.age",
                N_("Check the child's date of birth. Children over 20 count as adults in the home."),
                child.ref,
            )
        elif age_on(child.birth_date, start) <= LUNCH_QUESTION_MAX_AGE and child.lunch_at_home is None:
            yield _item(
                "household.child.lunch_at_home",
                N_("Tell us whether the child eats lunch at home on weekdays or at preschool."),
                child.ref,
            )


def _housing_gaps(content: DraftContent) -> Iterable[MissingItem]:
    housing = content.housing
    if housing is None or housing.type is None:
        yield _item("housing.type", N_("Tell us what kind of home you live in."))
    if housing is None or (housing.rent is None and housing.type not in NO_RENT_HOUSING):
        yield _item("housing.rent", N_("Fill in your rent or housing cost per month."))
    if housing is None or housing.household_size is None:
        yield _item("housing.household_size", N_("Fill in how many people live in the home."))
    elif content.household is not None and housing.household_size < content.household.people_count():
        yield _item(
            "housing.household_size_mismatch",
            N_("The number of people in the home is lower than the people you listed. Please check."),
        )


def _income_gaps(content: DraftContent) -> Iterable[MissingItem]:
    incomes = content.incomes
    if incomes is None or (not incomes.none_declared and not incomes.items):
        yield _item(
            "incomes.declared",
            N_("Fill in the household's incomes, or answer that you have no incomes."),
        )
        return
    for income in incomes.items:
        if income.needs_confirmation:
            yield _item(
                "incomes.confirm",
                N_("Confirm or change last month's amount for {income}."),
                income.member,
                income=INCOME_LABELS[income.type],
            )


def _asset_gaps(content: DraftContent) -> Iterable[MissingItem]:
    assets = content.assets
    if assets is None or (not assets.none_declared and not assets.has_items()):
        yield _item(
            "assets.declared",
            N_("Fill in money in bank accounts, vehicles and other things you own, or answer that you have none."),
        )


def _plan_gaps(content: DraftContent) -> Iterable[MissingItem]:
    for role in _adult_applicant_roles(content):
        if content.plan is None or content.plan.for_member(role) is None:
            message = (N_("Tell us about your current situation: registered with Arbetsförmedlingen, in an activity, "
                          "sick-listed or other.") if role == APPLICANT else
                       N_("Tell us about your co-applicant's current situation: registered with "
                          "Arbetsförmedlingen, in an activity, sick-listed or other."))
            yield _item(f"plan.{role}", message, role)


def _reference_gaps(content: DraftContent) -> Iterable[MissingItem]:
    # A person removed from the household may still be named in an income or asset: ask to fix it.
    known = content.household.member_refs() if content.household else set()
    refs: list[tuple[str, str | None]] = []
    if content.incomes:
        refs += [("incomes", i.member) for i in content.incomes.items]
    refs += [("costs", c.member) for c in content.costs]
    if content.assets:
        a = content.assets
        refs += [("assets", x.member) for x in (*a.bank_balances, *a.vehicles, *a.properties, *a.other)]
    if content.plan:
        refs += [("plan", x.member) for x in content.plan.activities]
    seen: set[tuple[str, str]] = set()
    for section, ref in refs:
        if ref is not None and ref not in known and (section, ref) not in seen:
            seen.add((section, ref))
            yield _item(
                f"{section}.member_unknown",
                N_("An entry belongs to a person who is not in the household. Change or remove it."),
                ref,
            )


def _adult_applicant_roles(content: DraftContent) -> list[str]:
    household = content.household
    roles = [APPLICANT]
    if household is not None and household.partner is not None:
        roles.append(PARTNER)
    return roles


def content_gaps(content: DraftContent) -> list[MissingItem]:
    """Everything missing in the content itself (signatures aside), in the order the client fills it in."""
    return [
        *_household_gaps(content),
        *_housing_gaps(content),
        *_income_gaps(content),
        *_asset_gaps(content),
        *_plan_gaps(content),
        *_reference_gaps(content),
    ]


def signature_gaps(content: DraftContent, signatures: Sequence[Signature],
                   required: RequiredSignatures | None = None) -> list[MissingItem]:
    """``required``: required_signers(content), when the caller has it already (it hashes the content)."""
    items = []
    for signer in missing_signers(required or required_signers(content), signatures):
        message = (N_("The application must be signed by the applicant.") if signer.role == APPLICANT else
                   N_("The application must be signed by the co-applicant."))
        items.append(_item(f"signature.{signer.role}", message, signer.role))
    return items


def missing_items(content: DraftContent, signatures: Sequence[Signature] = (),
                  required: RequiredSignatures | None = None) -> list[MissingItem]:
    """All gaps, signatures included: a signature counts only if it was made on the content as it is now."""
    gaps = content_gaps(content)
    if content.household is None or content.household.applicant is None:
        return gaps  # nobody to sign yet; "household.applicant" already says so
    return gaps + signature_gaps(content, signatures, required)


class ApplicationContent(DraftContent):
    """A complete application: the sections are present and missing_items finds nothing (the submitted form: the
    same shape as a draft, valid only when complete, so code after submit can rely on it)."""

    household: Household
    housing: Housing
    incomes: Incomes
    assets: Assets
    plan: Plan

    @model_validator(mode="after")
    def _complete(self) -> Self:
        gaps = content_gaps(self)
        if gaps:
            raise ValueError("application is incomplete: " + ", ".join(sorted({g.code for g in gaps})))
        return self


class IncompleteApplication(DomainError):
    code = "application-incomplete"
    status = 422
    title = N_("The application is not complete")


def check_complete(content: DraftContent, signatures: Sequence[Signature] = (),
                   required: RequiredSignatures | None = None) -> None:
    """The submit check: nothing missing, signatures included, or IncompleteApplication carrying the items. (With
    nothing missing the content is a valid ApplicationContent: the sections it requires are among the gaps.)"""
    items = missing_items(content, signatures, required)
    if items:
        raise IncompleteApplication(
            N_("Some information is missing."),
            missing=[item.model_dump() for item in items],
        )


def ensure_complete(content: DraftContent, signatures: Sequence[Signature] = ()) -> ApplicationContent:
    """The submit check: the complete, signed content, or IncompleteApplication carrying the items."""
    check_complete(content, signatures)
    return ApplicationContent.model_validate(content.model_dump())
