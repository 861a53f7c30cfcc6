"""Ombud: the rules of a representation (contracts.representation), pure.

A representation names the client and the representative (two different people), a kind (god man and förvaltare are
appointed by the court; fullmakt is the client's own written authorisation), at least one scope, and the days it holds
(Europe/Stockholm, both inclusive): an end date is required and may not be in the past.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from contracts.representation import RepresentationKind, Scope
from values.errors import DomainError

# The kinds that may sign an application for the client: those the court appointed. A fullmakt lets the
# representative prepare and submit, but the client signs their own application.
MAY_SIGN = frozenset({RepresentationKind.GOD_MAN, RepresentationKind.FORVALTARE})

KIND_LABELS = {RepresentationKind.GOD_MAN: "god man", RepresentationKind.FORVALTARE: "förvaltare",
               RepresentationKind.FULLMAKT: "fullmakt"}


class RepresentationInvalid(DomainError):
    status = 422
    title = "The representation cannot be registered"


def check(client: str, representative: str, scopes: Iterable[Scope], valid_from: dt.date, valid_until: dt.date,
          today: dt.date) -> list[Scope]:
    """The scopes, deduplicated in their canonical order; else RepresentationInvalid with a stable code."""
    if client == representative:
        raise RepresentationInvalid("A person cannot represent themselves.", code="representation-self",
                                    errors=[{"field": "body.representative", "message": "is the client"}])
    chosen = set(scopes)
    if not chosen:
        raise RepresentationInvalid("Name at least one scope.", code="representation-scopes-empty",
                                    errors=[{"field": "body.scopes", "message": "is empty"}])
    if valid_until < today:
        raise RepresentationInvalid("The end date is in the past.", code="representation-ended",
                                    errors=[{"field": "body.valid_until", "message": "is in the past"}])
    if valid_from > valid_until:
        raise RepresentationInvalid("The representation would end before it starts.", code="representation-dates",
                                    errors=[{"field": "body.valid_from", "message": "is after valid_until"}])
    return [s for s in Scope if s in chosen]


def may_sign(kind: str) -> bool:
    return kind in MAY_SIGN
