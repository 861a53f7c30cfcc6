"""Domain errors with stable codes; the API turns them into problem+json (``type`` = urn:bistand:problem:<code>)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain was broken. ``code`` is stable (clients switch on it); ``status`` is the HTTP hint."""

    code: str = "domain-error"
    status: int = 409
    title: str = "The request breaks a rule of the case"

    def __init__(self, detail: str, *, code: str | None = None, status: int | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        # Extra members for the problem body (e.g. the missing items). Never personal data.
        self.extra = extra
