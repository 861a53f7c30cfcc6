from __future__ import annotations

import io
import struct
import zipfile

import pytest
from fpdf import FPDF
from PIL import Image
from pydantic import ValidationError

from services.applications.domain.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS_PER_APPLICATION,
    AttachmentRejected,
    DocumentEvent,
    DocumentRequest,
    DocumentStatus,
    DocumentTransitionNotAllowed,
    DocumentType,
    check_upload,
    document_transition,
    sniff,
)


def real_image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def real_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Kontoutdrag")
    return bytes(pdf.output())


def windows_exe_head() -> bytes:
    """The first bytes of a PE executable: DOS header (MZ, e_lfanew at 0x3C), DOS stub, then 'PE\\0\\0'."""
    dos = bytearray(64)
    dos[0:2] = b"MZ"
    struct.pack_into("<13H", dos, 2, 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0, 0x40, 0)
    struct.pack_into("<I", dos, 0x3C, 0x80)
    stub = bytes.fromhex("0e1fba0e00b409cd21b8014ccd21") + b"This program cannot be run in DOS mode.\r\r\n$"
    head = bytes(dos) + stub
    head += b"\x00" * (0x80 - len(head))
    pe = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x8664, 6, 0, 0, 0, 0xF0, 0x22)
    return head + pe + b"\x00" * 200


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "expected"), [
    (real_pdf(), "application/pdf"),
    (real_image("JPEG"), "image/jpeg"),
    (real_image("PNG"), "image/png"),
])
def test_sniff_recognises_real_files(data, expected):
    assert sniff(data) == expected
    assert sniff(data[:262]) == expected  # the first bytes are enough
    assert check_upload(data[:262], len(data), 0) == expected


@pytest.mark.parametrize("data", [
    windows_exe_head(),  # an .exe renamed to .pdf is still an exe
    b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
    zip_bytes(),  # .docx and friends
    real_image("GIF"),
    real_image("BMP"),
    b"<html><body>%PDF-1.7</body></html>",
    b"  %PDF-1.7\n",  # junk before the magic: refused, we are strict
    b"%PD",
    b"",
    b"plain text that pretends to be a pdf",
])
def test_sniff_rejects_everything_else(data):
    assert sniff(data) is None


def test_exe_upload_is_rejected_with_a_stable_code():
    exe = windows_exe_head()
    assert exe.startswith(b"MZ") and b"PE\x00\x00" in exe
    with pytest.raises(AttachmentRejected) as err:
        check_upload(exe, 4096, 0)
    assert err.value.code == "attachment-unsupported-type"
    assert err.value.status == 415


def test_size_and_count_limits():
    pdf = real_pdf()
    assert MAX_ATTACHMENT_BYTES == 10 * 1024 * 1024 and MAX_ATTACHMENTS_PER_APPLICATION == 30
    assert check_upload(pdf, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS_PER_APPLICATION - 1) == "application/pdf"
    with pytest.raises(AttachmentRejected) as err:
        check_upload(pdf, MAX_ATTACHMENT_BYTES + 1, 0)
    assert (err.value.code, err.value.status) == ("attachment-too-large", 413)
    with pytest.raises(AttachmentRejected) as err:
        check_upload(pdf, 1000, MAX_ATTACHMENTS_PER_APPLICATION)
    assert (err.value.code, err.value.status) == ("attachment-too-many", 409)
    with pytest.raises(AttachmentRejected) as err:
        check_upload(pdf, 0, 0)
    assert err.value.code == "attachment-empty"


RC, RV, AP, RJ = DocumentStatus.REQUESTED, DocumentStatus.RECEIVED, DocumentStatus.APPROVED, DocumentStatus.REJECTED
LEGAL_DOCUMENT_STEPS = {
    (RC, DocumentEvent.RECEIVE, "client"): RV,
    (RC, DocumentEvent.RECEIVE, "co_applicant"): RV,
    (RC, DocumentEvent.RECEIVE, "caseworker"): RV,
    (RJ, DocumentEvent.RECEIVE, "client"): RV,
    (RJ, DocumentEvent.RECEIVE, "co_applicant"): RV,
    (RJ, DocumentEvent.RECEIVE, "caseworker"): RV,
    (RV, DocumentEvent.APPROVE, "caseworker"): AP,
    (RV, DocumentEvent.REJECT, "caseworker"): RJ,
}


@pytest.mark.parametrize("status", list(DocumentStatus))
@pytest.mark.parametrize("event", list(DocumentEvent))
@pytest.mark.parametrize("actor", ["client", "co_applicant", "caseworker"])
def test_document_status_matrix(status, event, actor):
    expected = LEGAL_DOCUMENT_STEPS.get((status, event, actor))
    if expected is not None:
        assert document_transition(status, event, actor) is expected
    else:
        with pytest.raises(DocumentTransitionNotAllowed) as err:
            document_transition(status, event, actor)
        assert err.value.code in {"document-transition-not-allowed", "document-role-not-allowed"}


def test_client_cannot_approve_their_own_document():
    with pytest.raises(DocumentTransitionNotAllowed) as err:
        document_transition(RV, DocumentEvent.APPROVE, "client")
    assert (err.value.code, err.value.status) == ("document-role-not-allowed", 403)


def test_document_request_texts():
    assert DocumentRequest(type=DocumentType.BANK_STATEMENTS).label("sv") == "kontoutdrag"
    assert DocumentRequest(type="other", text="Intyg från CSN").label("en") == "other document: Intyg från CSN"
    with pytest.raises(ValidationError):
        DocumentRequest(type="other")
    with pytest.raises(ValidationError):
        DocumentRequest(type="pay_slip", status="rejected")
    assert DocumentRequest(type="pay_slip", status="rejected", rejection_reason="Fel månad").status is RJ
    assert {t.value for t in DocumentType} == {
        "bank_statements", "rental_contract", "medical_certificate", "pay_slip", "other"}
