"""The languages a client may name as their own (for letters, staff and interpreters): ISO 639 codes.

A closed list, not any two letters: staff plan interpreters from it, so "aa" (Afar) by a slip of the thumb
should be refused, not stored. It covers Swedish, English, the national minority languages and the languages
Swedish municipalities most often book interpreters for; add to it when a unit needs another.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

SUPPORTED = frozenset({
    "sv", "en",
    # national minority languages: Finnish, Meänkieli, Northern/Lule/Southern Sami, Romani, Yiddish
    "fi", "fit", "se", "smj", "sma", "rom", "yi",
    # Swedish sign language
    "swl",
    # frequent interpreter languages
    "ar", "so", "ti", "am", "fa", "prs", "ps", "ckb", "kmr", "tr", "ku", "uz", "ur", "hi", "bn", "ta",
    "pl", "ru", "uk", "ro", "bg", "hu", "cs", "sk", "lt", "lv", "et", "el", "sq", "bs", "hr", "sr", "mk", "sl",
    "de", "fr", "es", "pt", "it", "nl", "da", "no", "is",
    "zh", "th", "vi", "tl", "ko", "ja", "mn", "my", "km", "ne",
    "sw", "om", "ha", "yo", "ig", "wo", "ln", "rw", "kri",
})


def supported_language(code: str) -> str:
    code = code.strip().lower()
    if code not in SUPPORTED:
        raise ValueError("not a supported language code (ISO 639, e.g. 'sv', 'en', 'ar', 'so', 'ti')")
    return code


Language = Annotated[str, AfterValidator(supported_language)]
