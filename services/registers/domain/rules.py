"""What a look-up may ask: the purposes each kind of look-up serves, the sources named once each."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.registers import Purpose, Source
from values.errors import DomainError

# An income look-up serves a case: the automated proposal or a caseworker's assessment. A protection check is a
# question to the population register only.
INCOME_PURPOSES = frozenset({Purpose.DECISION_PROPOSAL, Purpose.CASE_HANDLING})


class InvalidLookup(DomainError):
    """The request is well-formed but asks what may not be asked; ``errors`` lists the fields as a 422 does."""

    code = "invalid-lookup"
    status = 422
    title = "The look-up cannot be made"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, errors=[{"field": field, "message": message, "code": self.code}])


class RegisterSilent(DomainError):
    """The population register did not answer: never read as "not protected", so callers fail closed."""

    code = "register-unavailable"
    status = 503
    title = "The register is unavailable"

    def __init__(self) -> None:
        super().__init__("The population register did not answer; try again later.")


def income_sources(purpose: Purpose, asked: Sequence[Source] | None) -> tuple[Source, ...]:
    """The sources an income look-up asks, in the asked order (all when none are named)."""
    if purpose not in INCOME_PURPOSES:
        raise InvalidLookup("body.purpose", f"An income look-up is not made for {purpose.value}.")
    if asked is None:
        return tuple(Source)
    if not asked:
        raise InvalidLookup("body.sources", "Name at least one source, or leave the list out to ask all.")
    if len(set(asked)) != len(asked):
        raise InvalidLookup("body.sources", "Each source may be named once.")
    return tuple(asked)

