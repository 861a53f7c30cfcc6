from __future__ import annotations

import datetime as dt
import re

import pytest

from services.applications.domain.attachments import DocumentRequest
from services.applications.domain.client_view import ClientCase, client_status_view
from services.applications.domain.completeness import missing_items
from services.applications.domain.content import ApplicationKind
from services.applications.domain.lifecycle import CaseState, CaseStatus, Outcome
from tests.applications.test_domain_factories import PERIOD, couple

S, OC = CaseStatus, Outcome
STATES = [
    CaseState(S.DRAFT), CaseState(S.SUBMITTED), CaseState(S.IN_REVIEW), CaseState(S.INFO_REQUESTED),
    CaseState(S.DECIDED, OC.APPROVED), CaseState(S.DECIDED, OC.PARTLY_APPROVED), CaseState(S.DECIDED, OC.REFUSED),
    CaseState(S.PAID, OC.APPROVED), CaseState(S.WITHDRAWN),
]
INTERNAL_WORDS = re.compile(r"in_review|info_requested|partly_approved|_|\{|\}")


def case(state: CaseState, **kw) -> ClientCase:
    return ClientCase(state=state, kind=kw.pop("kind", ApplicationKind.MONTHLY), period=PERIOD, **kw)


@pytest.mark.parametrize("state", STATES, ids=lambda s: f"{s.status}-{s.outcome}")
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_state_has_plain_text_in_both_languages(state, lang):
    v = client_status_view(case(state, granted=9720, info_due=dt.date(2026, 3, 20)), lang)
    assert v.title and v.text and v.status is state.status and v.outcome == state.outcome
    assert not INTERNAL_WORDS.search(v.title + v.text)
    other = client_status_view(case(state, granted=9720, info_due=dt.date(2026, 3, 20)), "en" if lang == "sv" else "sv")
    assert other.text != v.text


def test_draft_lists_what_is_missing():
    content = couple()
    items = missing_items(content)
    v = client_status_view(case(CaseState(S.DRAFT), missing=items), "sv")
    assert v.title == "Ansökan är inte skickad"
    assert v.todo == [i.sv for i in items] and any("medsökande" in t for t in v.todo)
    assert client_status_view(case(CaseState(S.DRAFT), missing=items), "en").todo == [i.en for i in items]


def test_complete_draft_says_send_it():
    v = client_status_view(case(CaseState(S.DRAFT), kind=ApplicationKind.FIRST), "sv")
    assert v.title == "Ansökan är klar att skicka" and "Skicka in din ansökan för mars 2026" in v.text
    assert v.todo == []


def test_info_requested_shows_due_date_and_outstanding_documents_only():
    docs = [
        DocumentRequest(type="bank_statements"),
        DocumentRequest(type="pay_slip", status="rejected", rejection_reason="Gäller fel månad."),
        DocumentRequest(type="rental_contract", status="approved"),
        DocumentRequest(type="medical_certificate", status="received"),
    ]
    due = dt.date(2026, 3, 20)
    v = client_status_view(case(CaseState(S.INFO_REQUESTED), documents=docs, info_due=due), "sv")
    assert v.due_date == due and "2026-03-20" in v.text
    assert v.todo == ["Skicka kontoutdrag.", "Skicka lönespecifikation. Det du skickade kunde inte godtas: Gäller fel "
                      "månad."]
    en = client_status_view(case(CaseState(S.INFO_REQUESTED), documents=docs, info_due=due), "en")
    assert en.todo[0] == "Send bank statements."


def test_decisions_show_the_amount_and_appeal_hint():
    v = client_status_view(case(CaseState(S.DECIDED, OC.PARTLY_APPROVED), granted=9720), "sv")
    assert "9 720 kr" in v.text and "överklaga" in v.text and "tre veckor" in v.text
    v = client_status_view(case(CaseState(S.DECIDED, OC.REFUSED), granted=0), "en")
    assert "refused" in v.text and "three weeks" in v.text
    v = client_status_view(case(CaseState(S.PAID, OC.APPROVED), granted=12800), "en")
    assert v.text.startswith("SEK 12 800 for March 2026")


def test_monthly_and_first_applications_are_named_differently():
    first = client_status_view(case(CaseState(S.SUBMITTED), kind=ApplicationKind.FIRST), "sv")
    monthly = client_status_view(case(CaseState(S.SUBMITTED), kind=ApplicationKind.MONTHLY), "sv")
    assert "din ansökan" in first.text and "din fortsatta ansökan" in monthly.text
