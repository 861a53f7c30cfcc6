"""Domain errors with stable codes; the API turns them into problem+json (``type`` = urn:bistand:problem:<code>).

Built on the shared ``values.errors.DomainError`` so that the shared attachment rules (``values.files``) and ours
reach the caller in one shape (kit answers every DomainError).
"""

from __future__ import annotations

from values.errors import DomainError


class MessagingError(DomainError):
    code = "messaging-error"
    status = 409
    title = "The request breaks a rule of messaging"


__all__ = ["DomainError", "MessagingError"]
