"""The owner's side of ``POST /internal/letters`` (contracts.letters), the same in every service that writes letters:
its three refusals, each a stable problem type the post room reads as final or as "try again", and the answer."""

from __future__ import annotations

import base64

from contracts.letters import LetterDocument, LetterKind
from kit.i18n import Translator
from kit.problems import Problem


def kind_not_here(detail: str) -> Problem:
    """422, final: the kind is the other owner's."""
    return Problem(422, "letter-kind-not-here", "This service does not write that letter", detail)


def not_applicable(detail: str) -> Problem:
    """409, final: nothing to post (the information was sent, no decision, the booking changed since)."""
    return Problem(409, "letter-not-applicable", "There is nothing to write", detail)


def font_missing(setting: str) -> Problem:
    """503, tried again later: no Unicode font for this language (an ops matter, not the letter's)."""
    return Problem(503, "letter-font-missing", "Letters in this language cannot be written now",
                   f"No Unicode font is configured ({setting}).")


def document(kind: LetterKind, t: Translator, pdf: bytes, pages: int) -> LetterDocument:
    return LetterDocument(kind=kind, language=t.lang, direction=t.direction, pages=pages, pdf=base64.b64encode(pdf))
