"""The client's texts in their language: the service's gettext catalogs (``services/applications/locales``).

Texts are marked in code with ``N_("English text")`` (a table built at import) or translated at once with
``tr(lang)("English text", name=value)``; the Swedish and Arabic words live in the ``.po`` files (kit.i18n).
The catalogs are read once, when this module is imported; nothing here does I/O afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from kit.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, Catalogs, Direction, Translator, direction, supported

__all__ = ["CATALOGS", "DEFAULT_LANGUAGE", "LANGUAGES", "Direction", "Lang", "Translator", "direction", "stored",
           "supported", "tr"]

Lang = Literal["sv", "en", "ar"]
"""A language there is a complete catalog for (kit.i18n.LANGUAGES)."""

CATALOGS = Catalogs(Path(__file__).resolve().parent.parent / "locales")


def tr(lang: str | None) -> Translator:
    """The translator for a language; an unknown one gets Swedish."""
    return CATALOGS.get(lang)


def stored(texts: dict[str, str] | None, lang: str | None) -> str | None:
    """A text kept in Swedish and English (in a decision, from another service): the wanted language when kept,
    else the English one translated when the catalog knows it (the current wording), else the Swedish one."""
    if not texts:
        return None
    language = supported(lang) or DEFAULT_LANGUAGE
    if texts.get(language):
        return texts[language]
    english = texts.get("en")
    if english:
        translated = tr(language)(english)
        if translated != english:
            return translated
    return texts.get(DEFAULT_LANGUAGE) or english


# Problem texts a client may see that are written outside this service's code (kit.problems.not_found, the shared
# upload rules in values.files): marked here so the catalogs have them (kit.problems.use_catalogs).
PROBLEM_TEXTS = (
    N_("No such application."), N_("No such attachment."), N_("No such document request."), N_("No such decision."),
    N_("No such registerutdrag."), N_("The file cannot be accepted"),
)
