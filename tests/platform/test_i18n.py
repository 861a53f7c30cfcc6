"""kit.i18n: catalogs, negotiation, direction, and that every marked client text is translated everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from kit import i18n

PROJECT = Path(__file__).resolve().parents[2]


def _write(locales: Path, lang: str, entries: dict[str, str]) -> None:
    catalog = Catalog(locale=lang, domain=i18n.DOMAIN)
    for msgid, msgstr in entries.items():
        catalog.add(msgid, msgstr)
    path = i18n.po_path(locales, lang)
    path.parent.mkdir(parents=True)
    with path.open("wb") as fh:
        write_po(fh, catalog)


def test_direction_of_arabic_is_right_to_left_and_of_swedish_left_to_right() -> None:
    assert i18n.direction("ar") == "rtl"
    assert i18n.direction("fa") == "rtl"
    assert i18n.direction("sv") == "ltr"
    assert i18n.direction("en") == "ltr"
    assert i18n.direction("not-a-language") == "ltr"


@pytest.mark.parametrize(("header", "preferred", "expected"), [
    (None, None, "sv"),
    ("en-GB,en;q=0.9", None, "en"),
    ("ar-SE", None, "ar"),
    ("de,ar;q=0.5,en;q=0.8", None, "en"),
    ("fr", None, "sv"),
    ("en;q=0", None, "sv"),
    ("en;q=bad", None, "sv"),
    ("en", "ar", "ar"),
    ("en", "so", "en"),  # a preference without a catalog does not win over the header
])
def test_negotiate(header: str | None, preferred: str | None, expected: str) -> None:
    assert i18n.negotiate(header, preferred) == expected


def test_catalogs_translate_format_and_fall_back(tmp_path: Path) -> None:
    _write(tmp_path, "sv", {"You have {n} new messages.": "Du har {n} nya meddelanden.", "Hello": "Hej"})
    _write(tmp_path, "ar", {"Hello": "مرحبا"})
    catalogs = i18n.Catalogs(tmp_path)
    assert catalogs.get("sv")("You have {n} new messages.", n=3) == "Du har 3 nya meddelanden."
    assert catalogs.get("ar")("Hello") == "مرحبا"
    assert catalogs.get("ar").direction == "rtl"
    assert catalogs.get("ar")("Unknown text") == "Unknown text"  # the English id, never an empty string
    assert catalogs.get("en")("Hello") == "Hello"  # no English file: the ids are English
    assert catalogs.get("xx").lang == "sv"
    assert catalogs.get(None).lang == "sv"


def test_missing_lists_untranslated_marked_texts(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "texts.py").write_text('from kit.i18n import N_\nA = N_("Apples")\nB = N_("Pears")\n')
    _write(package / "locales", "sv", {"Apples": "Äpplen"})
    assert i18n.missing(package, "sv") == ["Pears"]
    i18n.update(package, ["sv", "en"])
    assert i18n.missing(package, "en") == []
    assert i18n.missing(package, "sv") == ["Pears"]  # kept what was translated, added the new text empty


def test_update_leaves_new_texts_empty_in_every_language_but_english(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "texts.py").write_text('from kit.i18n import N_\nA = N_("Apples")\n')
    i18n.update(package, ["sv", "en", "ar"])  # English's identity must not leak into the languages after it
    assert i18n.missing(package, "en") == []
    assert i18n.missing(package, "ar") == ["Apples"] and i18n.missing(package, "sv") == ["Apples"]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_marked_client_text_is_translated(lang: str) -> None:
    gaps = {str(package.relative_to(PROJECT)): i18n.missing(package, lang) for package in i18n.catalog_roots(PROJECT)}
    assert not {k: v for k, v in gaps.items() if v}, f"untranslated in {lang}; run `python -m kit.i18n update`"
