from __future__ import annotations

import pytest

from kit.auth import Principal
from services.applications.domain.access import (
    ALL_SECTIONS,
    AccessPrincipal,
    CaseAccess,
    Section,
    actor_role,
    can_read_case,
    can_read_section,
    readable_sections,
)
from services.applications.domain.lifecycle import ActorRole
from tests.applications.test_domain_factories import ANNA, BERTIL, CECILIA, DANA


def person(sub: str, *roles: str, units: tuple[str, ...] = (), pnr: str | None = None, protected: bool = False):
    return AccessPrincipal(sub=sub, roles=frozenset(roles), units=frozenset(units), personal_number=pnr,
                           protected_access=protected)


PRINCIPALS = {
    "anna": person("anna", "client", pnr=ANNA),
    "anna_short_pnr": person("anna", "client", pnr="890314-9808"),
    "bertil": person("bertil", "client", pnr=BERTIL),
    "cecilia": person("cecilia", "client", pnr=CECILIA),
    "dana": person("dana", "client", pnr=DANA),
    "client_without_pnr": person("x", "client"),
    "client_bad_pnr": person("x", "client", pnr="198903149809"),
    "karin": person("karin", "caseworker", units=("nord",)),
    "lars": person("lars", "caseworker", units=("syd",)),
    "lars_assigned": person("lars-2", "caseworker", units=("syd",)),
    "maja": person("maja", "caseworker", units=("nord",), protected=True),
    "nils": person("nils", "employment_officer", units=("arbetsmarknad",)),
    "nils_unassigned": person("nils-2", "employment_officer", units=("arbetsmarknad",)),
    "nils_protected": person("nils-3", "employment_officer", units=("arbetsmarknad",), protected=True),
    "tove": person("tove", "team_lead", units=("nord",)),
    "tove_protected": person("tove-2", "team_lead", units=("nord",), protected=True),
    "adam": person("adam", "admin"),
    "service": person("svc:messaging", "service"),
    "anonymous": person("nobody"),
    "caseworker_with_pnr": person("karin-x", "caseworker", units=("syd",), pnr=ANNA),  # not a client role
}

CASES = {
    # Anna and Bertil apply together in Nord; Lars (Syd) is assigned as second caseworker, Nils plans with them.
    "family": CaseAccess(unit="nord", applicant_personal_number=ANNA, co_applicant_personal_number=BERTIL,
                         assigned={"caseworker": frozenset({"karin", "lars-2"}),
                                   "employment_officer": frozenset({"nils", "nils-3"})}),
    "cecilia": CaseAccess(unit="syd", applicant_personal_number=CECILIA),
    # Dana has protected identity; her case is in Nord and Nils-3 (cleared) plans with her.
    "protected": CaseAccess(unit="nord", applicant_personal_number=DANA, protected_identity=True,
                            assigned={"caseworker": frozenset({"karin"}),
                                      "employment_officer": frozenset({"nils", "nils-3"})}),
}

ALL, WORK, NONE = "all", "work", "none"
WORK_SET = {Section.STATUS, Section.PLAN, Section.MEETINGS}

# principal -> (family, cecilia, protected)
MATRIX: dict[str, tuple[str, str, str]] = {
    "anna": (ALL, NONE, NONE),
    "anna_short_pnr": (ALL, NONE, NONE),
    "bertil": (ALL, NONE, NONE),
    "cecilia": (NONE, ALL, NONE),
    "dana": (NONE, NONE, ALL),  # the protected client always sees her own case
    "client_without_pnr": (NONE, NONE, NONE),
    "client_bad_pnr": (NONE, NONE, NONE),
    "karin": (ALL, NONE, NONE),  # own unit; protected even though assigned: not cleared
    "lars": (NONE, ALL, NONE),  # own unit only
    "lars_assigned": (ALL, ALL, NONE),  # another unit's case, assigned to him
    "maja": (ALL, NONE, ALL),  # cleared for protected identity in Nord
    "nils": (WORK, NONE, NONE),  # assigned; not cleared for protected identity
    "nils_unassigned": (NONE, NONE, NONE),
    "nils_protected": (WORK, NONE, WORK),
    "tove": (ALL, NONE, NONE),
    "tove_protected": (ALL, NONE, ALL),
    "adam": (NONE, NONE, NONE),  # admin sees no case data
    "service": (WORK, WORK, WORK),
    "anonymous": (NONE, NONE, NONE),
    "caseworker_with_pnr": (NONE, ALL, NONE),
}

ROWS = [
    (p, c, MATRIX[p][i], s)
    for p in MATRIX
    for i, c in enumerate(CASES)
    for s in Section
]


def expected(level: str, section: Section) -> bool:
    return level == ALL or (level == WORK and section in WORK_SET)


def test_matrix_covers_every_principal_and_case():
    assert set(MATRIX) == set(PRINCIPALS) and len(CASES) == 3


@pytest.mark.parametrize(("principal", "case", "level", "section"), ROWS)
def test_section_access_matrix(principal, case, level, section):
    assert can_read_section(PRINCIPALS[principal], CASES[case], section) is expected(level, section)


@pytest.mark.parametrize(("principal", "case", "level"), [(p, c, MATRIX[p][i]) for p in MATRIX
                                                          for i, c in enumerate(CASES)])
def test_case_access_matrix(principal, case, level):
    assert can_read_case(PRINCIPALS[principal], CASES[case]) is (level != NONE)
    sections = readable_sections(PRINCIPALS[principal], CASES[case])
    assert sections == {ALL: ALL_SECTIONS, WORK: WORK_SET, NONE: frozenset()}[level]


@pytest.mark.parametrize("section", [Section.BANK_STATEMENTS, Section.ATTACHMENTS, Section.INCOMES, Section.ASSETS,
                                     Section.CALCULATION, Section.DECISION, Section.REGISTER_DATA])
def test_employment_officer_never_sees_the_money(section):
    assert not can_read_section(PRINCIPALS["nils"], CASES["family"], section)
    assert can_read_section(PRINCIPALS["nils"], CASES["family"], Section.PLAN)
    assert can_read_section(PRINCIPALS["nils"], CASES["family"], Section.MEETINGS)


def test_protected_and_foreign_cases_look_the_same():
    # both are "no": the API answers 404 for either, so existence is not revealed
    karin = PRINCIPALS["karin"]
    assert can_read_case(karin, CASES["protected"]) is can_read_case(karin, CASES["cecilia"]) is False


def test_union_of_roles():
    both = person("nils", "employment_officer", "client", units=("arbetsmarknad",), pnr=CECILIA)
    assert readable_sections(both, CASES["family"]) == WORK_SET
    assert readable_sections(both, CASES["cecilia"]) == ALL_SECTIONS


def test_from_kit_principal():
    maja = Principal(sub="persona:maja", roles=frozenset({"caseworker"}), unit="nord",
                     permissions=frozenset({"protected_identity"}))
    p = AccessPrincipal.from_principal(maja)
    assert p.units == {"nord"} and p.protected_access
    assert can_read_case(p, CASES["protected"])
    anna = AccessPrincipal.from_principal(Principal(sub="persona:anna", roles=frozenset({"client"}),
                                                    personal_number=ANNA))
    assert can_read_case(anna, CASES["family"]) and not anna.protected_access
    assert ANNA not in repr(anna) and ANNA not in repr(CASES["family"])


@pytest.mark.parametrize(("principal", "case", "role"), [
    ("anna", "family", ActorRole.CLIENT),
    ("bertil", "family", ActorRole.CO_APPLICANT),
    ("cecilia", "family", None),
    ("karin", "family", ActorRole.CASEWORKER),
    ("lars_assigned", "family", ActorRole.CASEWORKER),
    ("lars", "family", None),
    ("tove", "family", ActorRole.TEAM_LEAD),
    ("nils", "family", None),  # reads the plan, takes no step in the case's lifecycle
    ("adam", "family", None),
    ("service", "family", ActorRole.SYSTEM),
    ("karin", "protected", None),
    ("maja", "protected", ActorRole.CASEWORKER),
    ("dana", "protected", ActorRole.CLIENT),
])
def test_actor_role_for_lifecycle(principal, case, role):
    assert actor_role(PRINCIPALS[principal], CASES[case]) == role
