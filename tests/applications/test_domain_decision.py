from __future__ import annotations

import datetime as dt
import re
import uuid
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.applications.domain.decision import (
    APPEAL_INFO,
    CalculationSnapshot,
    ComponentKind,
    Decision,
    DecisionComponent,
    DecisionInput,
    derive_outcome,
    entitlement,
    legal_basis,
    make_decision,
)
from services.applications.domain.lifecycle import Outcome
from services.applications.domain.pdf import DecisionView, render_decision_pdf
from tests.applications.test_domain_factories import ANNA

CASE = uuid.UUID("6f1b3c1e-0000-4000-8000-000000000001")
WHEN = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)


def comp(kind: str, code: str, computed: int, decided: int | None = None, reason: str | None = None, **kw):
    return DecisionComponent(kind=kind, code=code, computed=computed,
                             decided=computed if decided is None else decided, reason=reason, **kw)


def components(rent_decided: int = 8200, wages: int = 6400) -> list[DecisionComponent]:
    reason = None if rent_decided == 8200 else "Hyran är högre än vad som är skäligt för hushållets storlek."
    return [
        comp("norm", "riksnorm", 12650),
        comp("cost", "rent", 8200, rent_decided, reason),
        comp("cost", "household_electricity", 450),
        comp("income", "bostadsbidrag", 2100, member="applicant"),
        comp("income", "wages_net", 6400, wages, None if wages == 6400 else "Lönen enligt lönespecifikation.",
             member="partner"),
    ]


def calc(entitled: int, input_hash: str = "ab" * 32) -> CalculationSnapshot:
    return CalculationSnapshot(input_hash=input_hash, entitlement=entitled, result={"total": entitled, "v": 1})


def decide(comps, reasons_sv=None, decided_by="persona:karin", entitled=None, when=WHEN) -> Decision:
    entitled = entitlement(comps, "computed") if entitled is None else entitled
    return make_decision(DecisionInput(components=comps, reasons_sv=reasons_sv), case_id=CASE, period="2026-03",
                         decided_at=when, decided_by=decided_by, calculation=calc(entitled))


@pytest.mark.parametrize(("granted", "computed", "outcome"), [
    (0, 0, Outcome.REFUSED),
    (0, 5000, Outcome.REFUSED),
    (4999, 5000, Outcome.PARTLY_APPROVED),
    (1, 5000, Outcome.PARTLY_APPROVED),
    (5000, 5000, Outcome.APPROVED),
    (5200, 5000, Outcome.APPROVED),  # granted more than computed (e.g. an added cost): approved
])
def test_outcome_definition(granted, computed, outcome):
    assert derive_outcome(granted, computed) is outcome


def test_entitlement_is_norm_plus_costs_minus_incomes_floored_at_zero():
    assert entitlement(components(), "computed") == 12650 + 8200 + 450 - 2100 - 6400
    assert entitlement([comp("norm", "riksnorm", 100), comp("income", "pension", 500)], "decided") == 0


def test_adjustment_requires_a_reason():
    with pytest.raises(ValidationError):
        DecisionComponent(kind="cost", code="rent", computed=8200, decided=7000)
    with pytest.raises(ValidationError):
        DecisionComponent(kind="cost", code="rent", computed=8200, decided=7000, reason="  ")
    ok = DecisionComponent(kind="cost", code="rent", computed=8200, decided=7000, reason="Skälig hyresnivå.")
    assert ok.adjusted
    assert not DecisionComponent(kind="norm", code="riksnorm", computed=5000, decided=5000).adjusted


def test_approved_decision():
    d = decide(components())
    assert (d.outcome, d.granted, d.computed_entitlement) == (Outcome.APPROVED, 12800, 12800)
    assert d.calculation.input_hash == "ab" * 32 and d.calculation.result["total"] == 12800
    assert d.appeal == APPEAL_INFO


def test_partly_approved_needs_reasons():
    with pytest.raises(ValidationError):
        decide(components(rent_decided=7000))
    d = decide(components(rent_decided=7000), reasons_sv="Hyran godtas upp till skälig nivå.")
    assert (d.outcome, d.granted) == (Outcome.PARTLY_APPROVED, 11600)


def test_refused_when_nothing_is_granted():
    comps = components(wages=30000)
    d = decide(comps, reasons_sv="Hushållets inkomster räcker till försörjningen.")
    assert (d.outcome, d.granted) == (Outcome.REFUSED, 0)


def test_components_must_match_the_calculation():
    with pytest.raises(ValidationError):
        decide(components(), entitled=12000)


def test_automation_only_approves_the_computed_amounts():
    assert decide(components(), decided_by="system").automated
    with pytest.raises(ValidationError):
        decide(components(wages=30000), reasons_sv="Inkomsterna räcker.", decided_by="system")
    with pytest.raises(ValidationError):
        decide(components(rent_decided=9000), decided_by="system")  # an upward change is still discretion


def test_derived_fields_cannot_be_forged():
    d = decide(components(rent_decided=7000), reasons_sv="Skälig hyra.")
    data = d.model_dump(mode="json")
    data["outcome"] = "approved"
    with pytest.raises(ValidationError):
        Decision.model_validate(data)
    data = d.model_dump(mode="json") | {"granted": 20000}
    with pytest.raises(ValidationError):
        Decision.model_validate(data)


def test_decision_round_trips_through_json():
    d = decide(components(rent_decided=7000), reasons_sv="Skälig hyra.")
    assert Decision.model_validate_json(d.model_dump_json()) == d


def test_legal_basis_follows_the_date():
    old = legal_basis(dt.date(2025, 6, 30))
    new = legal_basis(dt.date(2025, 7, 1))
    assert "4 kap. 1" in old[0].sv and "2001:453" in old[0].sv
    assert "2025:400" in new[0].sv and "2025:400" in new[0].en
    assert "2025:400" in decide(components()).legal_basis[0].sv
    assert "2001:453" in decide(components(), when=dt.datetime(2025, 3, 1, tzinfo=dt.UTC)).legal_basis[0].sv


def test_appeal_information():
    sv, en = APPEAL_INFO.sv, APPEAL_INFO.en
    for needle in ("förvaltningsrätten", "tre veckor", "socialtjänsten", "skriftligt", "fick del av beslutet"):
        assert needle in sv
    for needle in ("administrative court", "three weeks", "social services", "writing", "received the decision"):
        assert needle in en


@given(st.lists(st.tuples(st.sampled_from(list(ComponentKind)), st.integers(0, 50_000), st.integers(0, 50_000)),
                min_size=1, max_size=12))
def test_outcome_always_follows_the_definition(rows):
    comps = [comp(kind, f"c{i}", computed, decided, "Justerat efter utredning.")
             for i, (kind, computed, decided) in enumerate(rows)]
    d = decide(comps, reasons_sv="Skäl.")
    assert d.granted >= 0
    if d.granted == 0:
        assert d.outcome is Outcome.REFUSED
    elif d.granted < d.computed_entitlement:
        assert d.outcome is Outcome.PARTLY_APPROVED
    else:
        assert d.outcome is Outcome.APPROVED


# --- the PDF -------------------------------------------------------------------------------------

def pdf_text(data: bytes) -> str:
    """The text drawn by the content streams (fpdf2 deflates them; core fonts write latin-1 strings)."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            chunks.append(zlib.decompressobj().decompress(data[match.end():]).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(chunks)


def view(decision: Decision, lang: str = "sv", **kw) -> DecisionView:
    return DecisionView(decision=decision, lang=lang, municipality="Mölndals stad", unit_name="Enhet Nord",
                        case_reference="EB-2026-0042", recipients=["Anna Åkesson", "Bertil Öberg"], **kw)


def test_pdf_is_a_valid_non_trivial_pdf_with_swedish_text():
    d = decide(components(rent_decided=7000), reasons_sv="Hyran godtas upp till skälig nivå för fyra personer.")
    data = render_decision_pdf(view(d, caseworker_name="Karin Karlsson"))
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(data) > 1500
    assert b"/Type /Catalog" in data and b"/Type /Page" in data
    text = pdf_text(data)
    for needle in ("Beslut om ekonomiskt bistånd", "Mölndals stad", "Anna Åkesson", "Bertil Öberg", "11 600 kr",
                   "delvis", "mars 2026", "förvaltningsrätten", "tre veckor", "2025:400", "Hyra / boendekostnad",
                   "skälig nivå", "Karin Karlsson"):
        assert needle in text, needle
    assert ANNA not in text and ANNA not in data.decode("latin-1")


def test_pdf_in_english_for_an_automated_approval():
    data = render_decision_pdf(view(decide(components(), decided_by="system"), lang="en"))
    text = pdf_text(data)
    assert "How to appeal" in text and "three weeks" in text and "SEK 12 800" in text
    assert "automatically" in text


def test_pdf_is_reproducible_and_survives_non_latin1_names():
    d = decide(components())
    assert render_decision_pdf(view(d)) == render_decision_pdf(view(d))
    odd = DecisionView(decision=d, municipality="Kommun – test “citat”", case_reference="X-1",
                       recipients=["Nguyễn Văn An", "李雷"])
    data = render_decision_pdf(odd)
    assert data.startswith(b"%PDF-") and "Kommun - test" in pdf_text(data)
