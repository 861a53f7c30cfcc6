"""The register extract's pure rules: nobody else's personnummer, labelled entries, the PDF with and without a
Unicode font."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from services.applications.domain.extract_pdf import render_extract_pdf
from services.applications.domain.subject_access import Missing, extract_status, flatten, mask_others
from tests.applications.conftest import ANNA, BERTIL, couple
from tests.applications.test_domain_factories import pnr_for

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def test_every_personnummer_but_the_subjects_is_masked():
    content = couple()
    content["household"]["children"][0]["personal_number"] = pnr_for(dt.date(2022, 2, 1))
    masked = mask_others(content, ANNA)
    assert masked["household"]["applicant"]["personal_number"] == ANNA
    assert masked["household"]["partner"]["personal_number"] == f"{BERTIL[:8]}-****"
    assert masked["household"]["children"][0]["personal_number"] == "20220201-****"
    assert BERTIL not in str(masked) and BERTIL[2:] not in str(masked)
    assert content["household"]["partner"]["personal_number"] == BERTIL  # the case itself is left as it is


def test_a_form_flattens_to_labelled_entries_with_machine_keys():
    entries = flatten({"items": [{"type": "wages_net", "member": "partner", "amount": 6400}]}, "incomes")
    assert [(e.key, e.value, e.kind) for e in entries] == [
        ("incomes.items.0.type", "wages_net", "text"), ("incomes.items.0.member", "partner", "text"),
        ("incomes.items.0.amount", 6400, "number")]


def test_one_missing_part_makes_the_extract_partial():
    assert extract_status([{"status": "answered"}]) == "complete"
    assert extract_status([{"status": "answered"}, {"status": "missing", "reason": Missing.UNAVAILABLE}]) == "partial"


EXTRACT = {
    "status": "partial", "requested_at": "2026-03-02T10:00:00+01:00", "expires_at": "2026-04-01T10:00:00+02:00",
    "subject": {"personal_number": ANNA},
    "parts": [
        {"service": "messaging", "title": {"sv": "Meddelanden", "en": "Messages"}, "status": "answered",
         "sections": [{"key": "threads", "title": {"sv": "Trådar", "en": "Threads"}, "items": [
             {"heading": {"sv": "Tråd: Hyran", "en": "Thread: Rent"}, "entries": [
                 {"key": "sender_name", "label": {"sv": "Avsändare", "en": "Sender"}, "value": "Øyvind Ωmega",
                  "kind": "text"},
                 {"key": "amount", "label": {"sv": "Belopp", "en": "Amount"}, "value": 8200, "kind": "kronor"},
                 {"key": "empty", "label": {"sv": "Tomt", "en": "Empty"}, "value": None, "kind": "text"}]}]}]},
        {"service": "meetings", "title": {"sv": "Möten", "en": "Meetings"}, "status": "missing",
         "reason_text": {"sv": "Tjänsten svarade inte i tid.", "en": "No answer in time."}, "sections": []},
    ]}


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_with_a_unicode_font_prints_every_name_as_written():
    text = _text(render_extract_pdf(EXTRACT, municipality="Exempelkommunen", font_path=DEJAVU))
    assert "Øyvind Ωmega" in text and "8 200 kr" in text and "Möten" in text and "Saknas" in text
    assert "Tomt" not in text  # an empty value is left out of the PDF


def test_the_pdf_without_one_falls_back_to_latin1():
    text = _text(render_extract_pdf(EXTRACT, lang="en", municipality="Exempelkommunen", font_path=None))
    assert "Register extract" in text and "Øyvind ?mega" in text and "SEK 8 200" in text and "Missing" in text
