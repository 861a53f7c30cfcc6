"""kit.letter_pdf: the paper letter's page layout (the words are the services'; tests/<service>/test_letters.py)."""

from __future__ import annotations

import datetime as dt
import io
import os
import unicodedata

import pytest
from pypdf import PdfReader

from kit.letter_pdf import ADDRESS_WINDOW, LetterFontMissing, LetterPdf, first_strong_rtl, left_to_right

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WHEN = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
needs_font = pytest.mark.skipif(not os.path.isfile(FONT), reason="DejaVu Sans is not installed")


def _text(pdf: bytes) -> list[str]:
    return [unicodedata.normalize("NFKC", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


@needs_font
def test_every_page_is_numbered_and_the_count_is_right():
    letter = LetterPdf(font_path=FONT, direction="ltr", title="T", author="Exempelkommunen", created=WHEN)
    letter.sender(["Exempelkommunen", "Socialtjänsten"], "2 mars 2026")
    letter.heading("Rubrik")
    for i in range(80):
        letter.paragraph(f"Stycke {i}")
    pdf, pages = letter.finish(lambda n, total: f"Sida {n} av {total}")
    assert pages >= 2
    texts = _text(pdf)
    assert len(texts) == pages
    for n, text in enumerate(texts, start=1):
        assert f"Sida {n} av {pages}" in text


@needs_font
def test_nothing_is_printed_in_the_address_window():
    letter = LetterPdf(font_path=FONT, direction="ltr", title="T", author="A", created=WHEN)
    letter.sender(["Exempelkommunen", "Socialtjänsten", "Box 12", "Telefon 0123"], "2 mars 2026")
    x, y, w, h = ADDRESS_WINDOW
    assert letter.pdf.get_y() >= y + h  # the body starts below the window
    letter.paragraph("Brödtext")
    page = PdfReader(io.BytesIO(letter.finish(lambda n, t: "")[0])).pages[0]
    inside: list[str] = []
    height = float(page.mediabox.height) * 25.4 / 72

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        tx, ty = tm[4] * 25.4 / 72, height - tm[5] * 25.4 / 72
        if text.strip() and x <= tx <= x + w and y <= ty <= y + h:
            inside.append(text)

    page.extract_text(visitor_text=visit)
    assert not inside


@needs_font
def test_a_right_to_left_letter_shapes_arabic_and_keeps_numbers_whole():
    letter = LetterPdf(font_path=FONT, direction="rtl", title="T", author="A", created=WHEN)
    letter.sender(["Exempelkommunen", "الخدمات الاجتماعية"], "2 مارس 2026")
    letter.heading("نحتاج إلى مزيد من المعلومات منك")
    letter.paragraph("المبلغ 11 680 كرونة، الهاتف 0123-45 67 89، رقم الحجز " + left_to_right("D076-0TT9"))
    letter.verbatim("Skicka kontoutdrag för februari.")
    pdf, pages = letter.finish(lambda n, total: f"صفحة {n} من {total}")
    text = _text(pdf)[0]
    assert "نحتاج إلى مزيد من المعلومات منك" in text
    assert "11 680" in text and "0123-45 67 89" in text and "D076-0TT9" in text
    assert "Skicka kontoutdrag för februari." in text  # a Swedish paragraph keeps its own direction


def test_a_right_to_left_letter_needs_a_unicode_font():
    with pytest.raises(LetterFontMissing):
        LetterPdf(font_path=None, direction="rtl", title="T", author="A", created=WHEN)
    with pytest.raises(LetterFontMissing):
        LetterPdf(font_path="/nonexistent/font.ttf", direction="rtl", title="T", author="A", created=WHEN)


def test_without_a_font_a_left_to_right_letter_falls_back_to_helvetica():
    letter = LetterPdf(font_path=None, direction="ltr", title="Beslut – mars", author="Exempelkommunen",
                       created=WHEN)
    letter.sender(["Exempelkommunen"], "2 mars 2026")
    letter.paragraph("Du beviljas 11 680 kr för mars 2026 – välkommen.")
    pdf, pages = letter.finish(lambda n, total: f"Sida {n} av {total}")
    assert pages == 1 and "Du beviljas 11 680 kr" in _text(pdf)[0]


def test_first_strong_direction():
    assert first_strong_rtl("12 Hej") is False
    assert first_strong_rtl("١٢ مرحبا Hej") is True
    assert first_strong_rtl("12 345") is None
